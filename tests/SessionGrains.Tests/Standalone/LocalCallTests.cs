using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Standalone;

/// <summary>
/// A gateway's calls to session grains active in its own process skip Orleans' messaging (<see cref="LocalSessionGrains"/>).
/// Orleans does not know of such calls, so these tests collect the session's activation while they run: nothing
/// acknowledged may be lost or applied twice, and the calls must keep working on the next activation.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed class LocalCallTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    private LocalSessionGrains Local => frontEnd.Services.GetRequiredService<LocalSessionGrains>();

    [Fact]
    public async Task An_active_session_is_listed_for_the_gateway_of_its_process_and_unlisted_when_collected()
    {
        var session = await Api.Create("""{"data":{"n":1}}""");
        using (var read = await Api.Send(HttpMethod.Get, "/sessions/current/data/n", session.Token))
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.True(Local.TryGet(session.Id, out _));

        await frontEnd.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.False(Local.TryGet(session.Id, out _));

        using var again = await Api.Send(HttpMethod.Get, "/sessions/current/data/n", session.Token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("1", await again.Content.ReadAsStringAsync());
        Assert.True(Local.TryGet(session.Id, out _));
    }

    [Fact]
    public async Task Increments_while_the_activation_is_collected_again_and_again_lose_nothing_and_apply_nothing_twice()
    {
        var session = await Api.Create("""{"data":{"n":0}}""");
        using (var first = await Api.Send(HttpMethod.Post, "/sessions/current/counters/n/increment", session.Token))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(Local.TryGet(session.Id, out var firstActivation));

        using var stop = new CancellationTokenSource();
        var management = frontEnd.Grains.GetGrain<IManagementGrain>(0);
        var collector = Task.Run(async () =>
        {
            var activations = new HashSet<ILocalSessionGrain>(ReferenceEqualityComparer.Instance);
            while (!stop.IsCancellationRequested)
            {
                if (Local.TryGet(session.Id, out var current)) activations.Add(current);
                await management.ForceActivationCollection(TimeSpan.Zero);
                await Task.Delay(5);
            }
            return activations.Count;
        });

        const int Workers = 8, Each = 40;
        var statuses = await Task.WhenAll(Enumerable.Range(0, Workers).Select(async _ =>
        {
            var codes = new List<HttpStatusCode>();
            for (var i = 0; i < Each; i++)
            {
                using var response = await Api.Send(HttpMethod.Post, "/sessions/current/counters/n/increment", session.Token);
                codes.Add(response.StatusCode);
            }
            return codes;
        }));
        await stop.CancelAsync();
        var activationsSeen = await collector;

        var acknowledged = statuses.SelectMany(codes => codes).Count(code => code == HttpStatusCode.OK);
        Assert.Equal(Workers * Each, acknowledged);
        using var read = await Api.Send(HttpMethod.Get, "/sessions/current/data/n", session.Token);
        Assert.Equal((1 + acknowledged).ToString(System.Globalization.CultureInfo.InvariantCulture), await read.Content.ReadAsStringAsync());
        // The collector did take the activation away while the increments ran (a new one served the rest).
        Assert.True(activationsSeen > 1 || Local.TryGet(session.Id, out var last) && !ReferenceEquals(last, firstActivation),
            "the session's activation was never collected during the run");
    }

    private const string Lease = "/sessions/current/lease";

    /// <summary>
    /// The lease a grain offers to callers in its process (an app that is a silo takes it without a call): taken only
    /// while free and the session quiet; once taken, the grain's own turns see the holder (a request through the API
    /// waits, a write under the holder's lease is accepted, one under another lease refused), and a release offers it again.
    /// </summary>
    [Fact]
    public async Task A_lease_taken_without_a_call_is_the_lease_the_grain_knows()
    {
        var session = await Api.Create("""{"data":{"n":1}}""");
        // The grain's lease queue starts with the first lease; from then on a free lease is offered.
        using (var first = await Api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json("""{"leaseId":"api-1"}""")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(Local.TryGet(session.Id, out var grain));
        Assert.False(grain.TryAcquireNow("local-0", TimeSpan.FromSeconds(30), out _), "offered while the API's request held the lease");
        using (var released = await Api.Send(HttpMethod.Delete, Lease, session.Token, null, r => r.Headers.Add("Session-Lease", "api-1")))
            Assert.Equal(HttpStatusCode.OK, released.StatusCode);

        // Offered now, but a request through the API takes it first: the grain takes the offer back before its turn does.
        using (var second = await Api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json("""{"leaseId":"api-1b","waitMilliseconds":0}""")))
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(grain.TryAcquireNow("local-0", TimeSpan.FromSeconds(30), out _), "granted beside the API's request");
        using (var released = await Api.Send(HttpMethod.Delete, Lease, session.Token, null, r => r.Headers.Add("Session-Lease", "api-1b")))
            Assert.Equal(HttpStatusCode.OK, released.StatusCode);

        Assert.True(grain.TryAcquireNow("local-1", TimeSpan.FromSeconds(30), out var granted));
        Assert.Equal("1", granted.Session.Data["n"]);
        Assert.False(grain.TryAcquireNow("local-2", TimeSpan.FromSeconds(30), out _), "granted twice");
        Assert.False(grain.TryAcquireNow("bad id", TimeSpan.FromSeconds(30), out _));

        using (var busy = await Api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json("""{"leaseId":"api-2","waitMilliseconds":50}""")))
            await SessionApi.AssertProblem(busy, HttpStatusCode.Locked);
        using (var other = await Api.Send(HttpMethod.Put, "/sessions/current/data/n", session.Token, SessionApi.Json("5"), r => r.Headers.Add("Session-Lease", "api-2")))
            await SessionApi.AssertProblem(other, HttpStatusCode.Conflict);
        using (var commit = await Api.Send(HttpMethod.Delete, Lease, session.Token, SessionApi.Json("""{"n":2}""", "application/merge-patch+json"),
            r => r.Headers.Add("Session-Lease", "local-1")))
            Assert.Equal(HttpStatusCode.OK, commit.StatusCode);

        Assert.True(grain.TryAcquireNow("local-3", TimeSpan.FromSeconds(30), out var again));
        Assert.Equal("2", again.Session.Data["n"]);
        // A request through the API queues behind the holder and gets the lease, with the holder's commit, once it is released.
        var waiting = Api.Send(HttpMethod.Post, Lease, session.Token, SessionApi.Json("""{"leaseId":"api-3","waitMilliseconds":5000}"""));
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        using (var commit = await Api.Send(HttpMethod.Delete, Lease, session.Token, SessionApi.Json("""{"n":3}""", "application/merge-patch+json"),
            r => r.Headers.Add("Session-Lease", "local-3")))
            Assert.Equal(HttpStatusCode.OK, commit.StatusCode);
        using (var granted3 = await waiting)
        {
            Assert.Equal(HttpStatusCode.OK, granted3.StatusCode);
            Assert.Equal(3, JsonDocument.Parse(await granted3.Content.ReadAsStringAsync()).RootElement.GetProperty("session").GetProperty("data").GetProperty("n").GetInt32());
        }
        Assert.False(grain.TryAcquireNow("local-4", TimeSpan.FromSeconds(30), out _), "offered while the API's request held the lease");

        using (var deleted = await Api.Send(HttpMethod.Delete, "/sessions/current", session.Token))
            Assert.True(deleted.IsSuccessStatusCode);
        Assert.False(grain.TryAcquireNow("local-5", TimeSpan.FromSeconds(30), out _), "offered for a deleted session");
    }

    public void Dispose() => _http.Dispose();
}
