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

    /// <summary>
    /// The drop-in store's commit in an app that is a silo: the changes go to the grain as a merge patch's members (<see
    /// cref="SessionCalls.CommitChanges"/>). They are stored as the same patch sent through the API is, under the lease
    /// only, and a retry with the same idempotency key is answered from the ledger instead of being applied again.
    /// </summary>
    [Fact]
    public async Task A_commit_of_members_from_this_process_stores_what_its_merge_patch_would_and_is_applied_once()
    {
        byte[] bytes = [0xFB, 0xFF, 0x01];
        var local = await Api.Create("""{"data":{"n":1,"m":0}}""");
        var api = await Api.Create("""{"data":{"n":1,"m":0}}""");
        // The grain's lease queue starts with the first lease; from then on a free lease is offered in this process.
        using (var lease = await Api.Send(HttpMethod.Post, Lease, local.Token, SessionApi.Json("""{"leaseId":"api-0"}""")))
            Assert.Equal(HttpStatusCode.OK, lease.StatusCode);
        using (var released = await Api.Send(HttpMethod.Delete, Lease, local.Token, null, r => r.Headers.Add("Session-Lease", "api-0")))
            Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.True(Local.TryGet(local.Id, out var grain));

        // Through the API: the lease, then its release with the merge patch.
        using (var lease = await Api.Send(HttpMethod.Post, Lease, api.Token, SessionApi.Json("""{"leaseId":"api-c"}""")))
            Assert.Equal(HttpStatusCode.OK, lease.StatusCode);
        var patch = $$"""{"v":"{{Convert.ToBase64String(bytes)}}","n":null,"m":42}""";
        using (var commit = await Api.Send(HttpMethod.Delete, Lease, api.Token, SessionApi.Json(patch, "application/merge-patch+json"), r => r.Headers.Add("Session-Lease", "api-c")))
            Assert.Equal(HttpStatusCode.OK, commit.StatusCode);

        // In this process: the same changes as members, under a lease taken without a call (under another lease: refused).
        KeyValuePair<string, string?>[] changes = [new("v", SessionGrains.AspNetCore.SessionKeyCodec.ValueJson(bytes)), new("n", null), new("m", "42")];
        Assert.True(grain.TryAcquireNow("local-c", TimeSpan.FromSeconds(30), out _));
        var refused = await grain.TryRun(g => new SessionCalls.CommitChanges("local-x", changes, new SessionWrite(null, SessionKeys.NewLocalKey(), "local-x")).On(g));
        Assert.True(refused.Ran);
        Assert.Equal(SessionStatus.LeaseLost, refused.Result.Status);
        var call = new SessionCalls.CommitChanges("local-c", changes, new SessionWrite(null, SessionKeys.NewLocalKey(), "local-c"));
        var first = await grain.TryRun(call.On);
        Assert.True(first.Ran);
        Assert.True(first.Result.Succeeded, first.Result.Status.ToString());
        var retried = await grain.TryRun(call.On);
        Assert.True(retried.Result.Succeeded, retried.Result.Status.ToString());
        Assert.Equal(first.Result.Value.Version, retried.Result.Value.Version);

        using var localData = await Api.Send(HttpMethod.Get, "/sessions/current", local.Token);
        using var apiData = await Api.Send(HttpMethod.Get, "/sessions/current", api.Token);
        var localSession = JsonDocument.Parse(await localData.Content.ReadAsStringAsync()).RootElement;
        var apiSession = JsonDocument.Parse(await apiData.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(apiSession.GetProperty("data").GetRawText(), localSession.GetProperty("data").GetRawText());
        Assert.Equal(2, localSession.GetProperty("version").GetInt64());
        using var stored = await Api.Send(HttpMethod.Get, "/sessions/current/data/v", local.Token);
        Assert.Equal("\"\\u002B/8B\"", await stored.Content.ReadAsStringAsync());
        // The lease went back with the commit: a request through the API gets it without waiting.
        using var next = await Api.Send(HttpMethod.Post, Lease, local.Token, SessionApi.Json("""{"leaseId":"api-d","waitMilliseconds":0}"""));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    public void Dispose() => _http.Dispose();
}
