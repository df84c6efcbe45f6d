using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// Sessions that each receive a sequence of increments, alternating between the front ends. Step n carries
/// Idempotency-Key "step-n" and is retried until acknowledged, so at the end each session's counter must equal
/// exactly the number of steps acknowledged: a lost write makes it smaller, a write applied twice larger.
/// </summary>
public sealed class SequencedLoad(LocalCluster cluster, int sessionCount, TimeSpan pace) : IDisposable
{
    private readonly List<HttpClient> _clients = Enumerable.Range(1, cluster.FrontEndUrls.Count).Select(cluster.CreateClient).ToList();
    private readonly List<string> _tokens = [];
    private readonly ConcurrentQueue<string> _failures = new();
    private long[] _acknowledged = [];
    private double[] _longestUnavailableMs = [];
    private readonly ConcurrentQueue<(DateTime Started, double WaitMs, int Session, int Attempts, string? LastFailure)> _steps = new();
    private readonly List<(DateTime At, string Fault)> _faults = [];
    private int _serverErrors;
    private int _unavailable;
    private int _transportErrors;

    /// <summary>Responses with a 5xx status other than 503.</summary>
    public int ServerErrors => _serverErrors;

    /// <summary>503 answers (allowed only while storage is down).</summary>
    public int Unavailable => _unavailable;

    /// <summary>Requests that got no HTTP answer at all.</summary>
    public int TransportErrors => _transportErrors;

    public long TotalAcknowledged => _acknowledged.Sum();

    public IReadOnlyList<string> Failures => [.. _failures];

    public IReadOnlyList<string> Tokens => _tokens;

    public async Task CreateSessions()
    {
        for (var i = 0; i < sessionCount; i++) _tokens.Add((await new SessionApi(_clients[i % _clients.Count]).Create()).Token);
        _acknowledged = new long[sessionCount];
        _longestUnavailableMs = new double[sessionCount];
    }

    /// <summary>Runs until <paramref name="stop"/> is cancelled; a step under way is finished first.</summary>
    public Task Run(CancellationToken stop) => Task.WhenAll(Enumerable.Range(0, sessionCount).Select(i => RunSession(i, stop)));

    private async Task RunSession(int index, CancellationToken stop)
    {
        await Task.Delay(Random.Shared.Next((int)pace.TotalMilliseconds + 1));
        for (var step = 1; !stop.IsCancellationRequested; step++)
        {
            var started = Stopwatch.GetTimestamp();
            var startedAt = DateTime.UtcNow;
            string? lastFailure = null;
            var attempt = 0;
            for (; ; attempt++)
            {
                var failure = await TryStep(index, step, attempt);
                if (failure is null) break;
                lastFailure = failure;
                await Task.Delay(200);
            }
            var unavailable = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            _steps.Enqueue((startedAt, unavailable, index, attempt + 1, lastFailure));
            if (unavailable > _longestUnavailableMs[index]) _longestUnavailableMs[index] = unavailable;
            _acknowledged[index]++;
            try
            {
                await Task.Delay(pace, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>One attempt at a step: null once acknowledged, otherwise what went wrong.</summary>
    private async Task<string?> TryStep(int index, int step, int attempt)
    {
        var client = _clients[(step + attempt) % _clients.Count];
        var started = Stopwatch.GetTimestamp();
        string failure;
        try
        {
            using var response = await new SessionApi(client).Send(HttpMethod.Post, "/sessions/current/counters/steps/increment", _tokens[index],
                configure: r => r.Headers.Add("Idempotency-Key", $"step-{step}"));
            if (response.StatusCode == HttpStatusCode.OK) return null;
            var body = await response.Content.ReadAsStringAsync();
            failure = $"{(int)response.StatusCode} via {client.BaseAddress}: {body}";
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Interlocked.Increment(ref _unavailable);
                if (response.Headers.RetryAfter is null) _failures.Enqueue("503 without Retry-After");
            }
            else
            {
                Interlocked.Increment(ref _serverErrors);
                _failures.Enqueue(failure);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref _transportErrors);
            failure = $"{ex.GetType().Name} via {client.BaseAddress}: {ex.Message}";
            _failures.Enqueue(failure);
        }
        return $"{failure} (after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms)";
    }

    /// <summary>Asserts that every session's counter equals the steps acknowledged for it.</summary>
    public async Task AssertEveryAcknowledgedWriteIsPresent()
    {
        var (_, _, mismatches) = await CompareWithStorage();
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    /// <summary>Acknowledged steps missing from storage (lost) and steps stored beyond those acknowledged (applied twice), summed over sessions.</summary>
    public async Task<(long Lost, long Extra, IReadOnlyList<string> Mismatches)> CompareWithStorage()
    {
        var api = new SessionApi(_clients[0]);
        var mismatches = new List<string>();
        long lost = 0, extra = 0;
        for (var i = 0; i < sessionCount; i++)
        {
            var session = await api.Get(_tokens[i]);
            var stored = session.GetProperty("data").TryGetProperty("steps", out var steps) ? steps.GetInt64() : 0;
            if (stored == _acknowledged[i]) continue;
            mismatches.Add($"session {i}: {_acknowledged[i]} acknowledged, {stored} stored");
            if (stored < _acknowledged[i]) lost += _acknowledged[i] - stored;
            else extra += stored - _acknowledged[i];
        }
        return (lost, extra, mismatches);
    }

    /// <summary>Median and longest time a session waited for one write to be acknowledged, in ms.</summary>
    public (double Median, double Longest) Unavailability()
    {
        var sorted = _longestUnavailableMs.Order().ToArray();
        return (sorted[sorted.Length / 2], sorted[^1]);
    }

    /// <summary>Marks the start of a fault: <see cref="WorstWaitPerFault"/> reports the steps started from here to the next mark.</summary>
    public void Fault(string name)
    {
        lock (_faults) _faults.Add((DateTime.UtcNow, name));
    }

    /// <summary>
    /// For each fault marked, the longest one write waited to be acknowledged among the writes started from that mark until
    /// the next one (ms), and how many writes that covers.
    /// </summary>
    public IReadOnlyList<(string Fault, double WorstMs, int Writes)> WorstWaitPerFault()
    {
        List<(DateTime At, string Fault)> faults;
        lock (_faults) faults = [.. _faults];
        var steps = _steps.ToArray();
        return [.. faults.Select((f, i) =>
        {
            var until = i + 1 < faults.Count ? faults[i + 1].At : DateTime.MaxValue;
            var during = steps.Where(s => s.Started >= f.At && s.Started < until).ToList();
            return (f.Fault, during.Count == 0 ? 0 : during.Max(s => s.WaitMs), during.Count);
        })];
    }

    /// <summary>
    /// Writes one line per fault: the worst wait for a write started while it was under way or being recovered from;
    /// then the slowest writes of the run, with when they started (UTC), so that a slow one can be set against the
    /// cluster's logs.
    /// </summary>
    public void Report(Xunit.Abstractions.ITestOutputHelper output, int slowest = 5)
    {
        foreach (var (fault, worst, writes) in WorstWaitPerFault()) output.WriteLine($"{fault}: worst wait for a write {worst:F0} ms ({writes} writes)");
        foreach (var s in _steps.ToArray().OrderByDescending(s => s.WaitMs).Take(slowest))
        {
            output.WriteLine($"slow write: session {s.Session} started {s.Started:HH:mm:ss.fff}, waited {s.WaitMs:F0} ms over {s.Attempts} attempt(s)" +
                (s.LastFailure is null ? "" : $"; last failure: {s.LastFailure}"));
        }
    }

    public void Dispose() => _clients.ForEach(c => c.Dispose());
}
