using System.Globalization;
using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Load;
using SessionGrains.Bench.LoadGen.Targets;

namespace SessionGrains.Bench.LoadGen.Scenarios;

/// <summary>
/// The scenarios, each against one target with the same concurrency. Every worker holds one connection and (except
/// in the lost-update scenario) its own session, so SessionGrains' per-session turn-taking never serializes workers.
/// Worker w talks to endpoint w mod N of <paramref name="apis"/> (the front ends of a cluster, round-robin); the
/// meter measures the CPU time of the target's processes in each measured window, the target's storage meter the
/// storage's work over each whole run.
/// </summary>
public sealed class ScenarioRunner(BenchSettings settings, BenchTarget target, IReadOnlyList<SessionApi> apis, CpuMeter meter)
{
    private const string ProfileKey = "profile";
    private const string CartKey = "cart";
    private const string CounterKey = "hits";

    /// <summary>The value each read returns: a small user profile (~120 bytes of JSON).</summary>
    private static readonly byte[] ProfileSession = SessionApi.Utf8(
        """{"data":{"profile":{"name":"Ada Lovelace","plan":"pro","theme":"dark","locale":"en-GB","cart":["book-17","pen-3"],"visits":42}}}""");

    private static readonly byte[] NewSession = SessionApi.Utf8("""{"data":{"cart":[]}}""");

    private int Workers => settings.Connections;

    public async Task<ScenarioResult?> Run(string scenario, CancellationToken cancellationToken) => scenario switch
    {
        "read" when !target.HasSessions => await Ok(cancellationToken),
        _ when !target.HasSessions => null,
        "read" => await Read(cancellationToken),
        "write" => await Write(cancellationToken),
        "mix" => await Mix(cancellationToken),
        "increment" => await Increment(cancellationToken),
        "create" => await Create(cancellationToken),
        "create-write" => await CreateThenWrite(cancellationToken),
        "fanout" when target.IsSessionGrains => await new FanOut(settings, target, apis, meter).Run(cancellationToken),
        "fanout" => null,
        _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
    };

    /// <summary>The worker's endpoint (front end) for its sessions' creation and the bare Kestrel read.</summary>
    private SessionApi Api(int worker) => apis[worker % apis.Count];

    /// <summary>
    /// The endpoint of the worker's <paramref name="n"/>-th request: with several front ends, each request goes to the next
    /// one, as through a round-robin balancer without affinity. Session calls through a split cluster's front ends all
    /// cost the same, but a combined node serves its own sessions without a hop: a session created through one node
    /// is then reached through the other on every second request, as behind a real balancer.
    /// </summary>
    private SessionApi Api(int worker, long n) => apis[(int)((worker + n) % apis.Count)];

    /// <summary>The bare Kestrel app's read: <c>GET /ok</c>, one HTTP round trip and nothing else.</summary>
    private async Task<ScenarioResult> Ok(CancellationToken cancellationToken)
    {
        var result = await Load((w, _, ct) => Api(w).Get("/ok", ct), cancellationToken);
        return Row("read", result);
    }

    /// <summary>GET one value of the worker's own session.</summary>
    private async Task<ScenarioResult> Read(CancellationToken cancellationToken)
    {
        var sessions = await Sessions(ProfileSession, cancellationToken);
        var result = await Load((w, n, ct) => Api(w, n).Read(sessions[w], ProfileKey, ct), cancellationToken);
        return Row("read", result);
    }

    /// <summary>PUT one key of the worker's own session (a changing cart).</summary>
    private async Task<ScenarioResult> Write(CancellationToken cancellationToken)
    {
        var sessions = await Sessions(ProfileSession, cancellationToken);
        var result = await Load((w, n, ct) => Api(w, n).Write(sessions[w], CartKey, Cart(n), ct), cancellationToken);
        return Row("write", result);
    }

    /// <summary>90 % reads and 10 % writes on the worker's own session, in a fixed pseudo-random order per worker.</summary>
    private async Task<ScenarioResult> Mix(CancellationToken cancellationToken)
    {
        var sessions = await Sessions(ProfileSession, cancellationToken);
        var random = Enumerable.Range(0, Workers).Select(w => new Random(w)).ToArray();
        var result = await Load(
            (w, n, ct) => random[w].Next(10) == 0 ? Api(w, n).Write(sessions[w], CartKey, Cart(n), ct) : Api(w, n).Read(sessions[w], ProfileKey, ct),
            cancellationToken);
        return Row("mix 90/10", result);
    }

    /// <summary>
    /// Every worker increments the same counter of ONE session at once. Lost updates = increments the target
    /// acknowledged minus the counter's final value.
    /// </summary>
    private async Task<ScenarioResult> Increment(CancellationToken cancellationToken)
    {
        var session = await Api(0).Create(NewSession, cancellationToken);
        var result = await Load((w, n, ct) => Api(w, n).Increment(session, CounterKey, ct), cancellationToken);
        var final = await Api(0).Value(session, CounterKey, cancellationToken) is { } json ? long.Parse(json, CultureInfo.InvariantCulture) : 0;
        var acked = result.Acknowledged;
        return Row("increment (1 session)", result) with
        {
            Acknowledged = acked,
            FinalCounter = final,
            LostUpdates = acked - final,
            Note = $"{acked:N0} increments acknowledged, counter ended at {final:N0}",
        };
    }

    /// <summary>POST /sessions with a small cart.</summary>
    private async Task<ScenarioResult> Create(CancellationToken cancellationToken)
    {
        var result = await Load(async (w, n, ct) => await Api(w, n).TryCreate(NewSession, ct) is not null, cancellationToken);
        return Row("create", result);
    }

    /// <summary>
    /// POST /sessions, then one write to the new session through the next endpoint: a session's whole cost when it is
    /// used once after its creation (SessionGrains activates a session at its first call, not at its creation, so the
    /// create row alone leaves that activation out). One operation is the pair.
    /// </summary>
    private async Task<ScenarioResult> CreateThenWrite(CancellationToken cancellationToken)
    {
        var result = await Load(async (w, n, ct) => await Api(w, n).TryCreate(NewSession, ct) is { } session
            && await Api(w, n + 1).Write(session, CartKey, Cart(n), ct), cancellationToken);
        return Row("create + first write", result);
    }

    /// <summary>The closed loop of every scenario here: one worker per connection, CPU measured in the window, storage over the run.</summary>
    private Task<LoadResult> Load(ClosedLoop.Operation operation, CancellationToken cancellationToken) =>
        ClosedLoop.Run(Workers, settings.Warmup, settings.Duration, operation, cancellationToken,
            cpu: meter, warmupMax: settings.WarmupMax, quietMax: settings.WaitQuiet, storage: target.Storage);

    private async Task<SessionHandle[]> Sessions(byte[] body, CancellationToken cancellationToken)
    {
        var sessions = new SessionHandle[Workers];
        for (var w = 0; w < Workers; w++) sessions[w] = await Api(w).Create(body, cancellationToken);
        return sessions;
    }

    private static byte[] Cart(long n) => SessionApi.Utf8($$"""{"items":["book-17","pen-3"],"n":{{n}}}""");

    private ScenarioResult Row(string scenario, LoadResult result) => new ScenarioResult
    {
        Scenario = scenario,
        Target = target.Key,
        TargetDescription = target.Description,
        IsSessionGrains = target.IsSessionGrains,
        PerSecond = result.PerSecond,
        P50Ms = result.P50Ms,
        P99Ms = result.P99Ms,
        Operations = result.Operations,
        Errors = result.Errors,
        Connections = Workers,
    }.WithCpu(result, result.Operations + result.Errors) with { Storage = result.Storage };
}
