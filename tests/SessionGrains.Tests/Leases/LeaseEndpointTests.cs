using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Leases;

/// <summary>The lease routes over real HTTP: acquire-and-load, commit-and-release, busy and lost leases.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class LeaseEndpointTests(StandaloneFrontEnd frontEnd, ITestOutputHelper output)
{
    private const string Lease = "/sessions/current/lease";

    [Fact]
    public async Task Acquire_loads_the_session_and_release_commits_a_patch_under_the_lease()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var session = await api.Create("""{"data":{"n":1}}""");

        using var acquired = await api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json("""{"leaseId":"req-1","ttlSeconds":20}"""));
        var body = JsonDocument.Parse(await acquired.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, acquired.StatusCode);
        Assert.Equal("req-1", body.GetProperty("leaseId").GetString());
        Assert.Equal(1, body.GetProperty("session").GetProperty("data").GetProperty("n").GetInt32());
        Assert.Equal("\"1\"", acquired.Headers.ETag?.Tag);

        using var busy = await api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json("""{"waitMilliseconds":50}"""));
        var problem = await SessionApi.AssertProblem(busy, HttpStatusCode.Locked);
        Assert.Equal("urn:session-grains:problem:lease-busy", problem.GetProperty("type").GetString());
        Assert.Equal("1", busy.Headers.RetryAfter?.ToString());

        using var released = await api.Send(HttpMethod.Delete, Lease, session.Token, SessionApi.Json("""{"n":2}""", "application/merge-patch+json"),
            r => r.Headers.Add("Session-Lease", "req-1"));
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await released.Content.ReadAsStringAsync()).RootElement.GetProperty("version").GetInt64());
        Assert.Equal(2, (await api.Get(session.Token)).GetProperty("data").GetProperty("n").GetInt32());

        using var free = await api.Send(HttpMethod.Post, Lease, session.Token);
        Assert.Equal(HttpStatusCode.OK, free.StatusCode);
    }

    [Fact]
    public async Task A_write_under_a_lease_not_in_force_is_409_lease_lost_and_release_needs_the_header()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var session = await api.Create();

        using var lost = await api.Send(HttpMethod.Put, "/sessions/current/data/k", session.Token, SessionApi.Json("1"), r => r.Headers.Add("Session-Lease", "gone"));
        var problem = await SessionApi.AssertProblem(lost, HttpStatusCode.Conflict);
        Assert.Equal("urn:session-grains:problem:lease-lost", problem.GetProperty("type").GetString());

        using var noHeader = await api.Send(HttpMethod.Delete, Lease, session.Token);
        await SessionApi.AssertProblem(noHeader, HttpStatusCode.BadRequest);
        using var badMember = await api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json("""{"ttlSeconds":"long"}"""));
        await SessionApi.AssertProblem(badMember, HttpStatusCode.BadRequest);
        using var badLease = await api.Send(HttpMethod.Put, "/sessions/current/data/k", session.Token, SessionApi.Json("1"), r => r.Headers.Add("Session-Lease", "two words"));
        await SessionApi.AssertProblem(badLease, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Read_modify_write_under_the_lease_loses_no_update_and_reports_the_cost()
    {
        const int clients = 16, rounds = 10;
        using var setup = frontEnd.CreateClient();
        var session = await new SessionApi(setup).Create("""{"data":{"n":0}}""");
        var timings = new System.Collections.Concurrent.ConcurrentBag<(double Acquire, double Release)>();

        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            using var http = frontEnd.CreateClient();
            var api = new SessionApi(http);
            for (var i = 0; i < rounds; i++)
            {
                var leaseId = $"c{c}-{i}";
                var clock = Stopwatch.StartNew();
                using var acquired = await api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json($$"""{"leaseId":"{{leaseId}}"}"""));
                Assert.Equal(HttpStatusCode.OK, acquired.StatusCode);
                var acquire = clock.Elapsed.TotalMilliseconds;
                var n = JsonDocument.Parse(await acquired.Content.ReadAsStringAsync()).RootElement.GetProperty("session").GetProperty("data").GetProperty("n").GetInt32();
                clock.Restart();
                using var released = await api.Send(HttpMethod.Delete, Lease, session.Token, SessionApi.Json($$"""{"n":{{n + 1}}}"""),
                    r => r.Headers.Add("Session-Lease", leaseId));
                Assert.Equal(HttpStatusCode.OK, released.StatusCode);
                timings.Add((acquire, clock.Elapsed.TotalMilliseconds));
            }
        }));

        var final = (await new SessionApi(setup).Get(session.Token)).GetProperty("data").GetProperty("n").GetInt32();
        var releases = timings.Select(t => t.Release).Order().ToList();
        output.WriteLine($"{clients} clients x {rounds} read-modify-writes: final {final} of {clients * rounds}; commit+release median {releases[releases.Count / 2]:F1} ms");
        Assert.Equal(clients * rounds, final);
    }

    [Fact]
    public async Task An_uncontended_acquire_and_release_each_take_one_short_round_trip()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var session = await api.Create();
        var acquires = new List<double>();
        var releases = new List<double>();
        for (var i = 0; i < 60; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var acquired = await api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json($$"""{"leaseId":"u{{i}}"}""")))
                Assert.Equal(HttpStatusCode.OK, acquired.StatusCode);
            acquires.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            using (var released = await api.Send(HttpMethod.Delete, Lease, session.Token, i % 2 == 0 ? SessionApi.Json("""{"k":1}""") : null, r => r.Headers.Add("Session-Lease", $"u{i}")))
                Assert.Equal(HttpStatusCode.OK, released.StatusCode);
            releases.Add(clock.Elapsed.TotalMilliseconds);
        }
        // The first rounds warm up connections and code paths.
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Skip(5).Order().ToList();
            return sorted[sorted.Count / 2];
        }
        output.WriteLine($"uncontended: acquire median {Median(acquires):F2} ms, release median {Median(releases.Where((_, i) => i % 2 == 1)):F2} ms, commit+release median {Median(releases.Where((_, i) => i % 2 == 0)):F2} ms");
        Assert.Equal(60, acquires.Count);
    }
}
