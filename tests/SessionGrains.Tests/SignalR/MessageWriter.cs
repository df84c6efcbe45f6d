using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// Posts numbered messages to a session (<c>POST /sessions/current/messages</c>) until stopped, through the first front
/// end that answers, and records the <c>seq</c> of every acknowledged one (202). Message n carries its own
/// idempotency key, so a retry after a failure (a killed front end or silo) still appends it once.
/// </summary>
public sealed class MessageWriter : IAsyncDisposable
{
    private readonly IReadOnlyList<HttpClient> _frontEnds;
    private readonly string _token;
    private readonly TimeSpan _pace;
    private readonly ConcurrentQueue<long> _acknowledged = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public MessageWriter(IReadOnlyList<HttpClient> frontEnds, string token, TimeSpan pace)
    {
        _frontEnds = frontEnds;
        _token = token;
        _pace = pace;
        _running = Task.Run(Run);
    }

    public IReadOnlyList<long> Acknowledged => [.. _acknowledged];

    public long LastAcknowledged => _acknowledged.IsEmpty ? 0 : _acknowledged.Last();

    /// <summary>Waits until a message with a <c>seq</c> above <paramref name="seq"/> was acknowledged.</summary>
    public async Task WaitForAcknowledgedAbove(long seq, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (LastAcknowledged <= seq)
        {
            if (deadline.Elapsed > timeout) throw new TimeoutException($"no message acknowledged above seq {seq} within {timeout}");
            if (_running.IsCompleted) await _running;
            await Task.Delay(10);
        }
    }

    /// <summary>Stops writing (the message in flight is finished) and returns the last acknowledged <c>seq</c>.</summary>
    public async Task<long> Stop()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(90));
        return LastAcknowledged;
    }

    private async Task Run()
    {
        for (var n = 1; !_stop.IsCancellationRequested; n++)
        {
            _acknowledged.Enqueue(await Post(n));
            await Task.Delay(_pace);
        }
    }

    private async Task<long> Post(int n)
    {
        var deadline = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var api = new SessionApi(_frontEnds[attempt % _frontEnds.Count]);
            try
            {
                using var response = await api.Send(HttpMethod.Post, "/sessions/current/messages", _token, SessionApi.Json($$"""{"n":{{n}}}"""),
                    r => r.Headers.Add("Idempotency-Key", $"message-{n}"));
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.Accepted) return JsonDocument.Parse(text).RootElement.GetProperty("seq").GetInt64();
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"message {n} answered {(int)response.StatusCode}: {text}");
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
