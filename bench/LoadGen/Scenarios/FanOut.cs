using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using HdrHistogram;
using SessionGrains.Bench.LoadGen.Cpu;
using SessionGrains.Bench.LoadGen.Load;
using SessionGrains.Bench.LoadGen.Targets;

namespace SessionGrains.Bench.LoadGen.Scenarios;

/// <summary>
/// SessionGrains only: N WebSockets of ONE session (<c>GET /sessions/current/ws</c>) while publishers
/// <c>POST /sessions/current/messages</c> to it as fast as it answers. Measures events delivered a second over
/// all sockets and the delay from a publish being sent to its event arriving at a socket. Sockets and publishers
/// are spread over the endpoints (front ends) round-robin; CPU is per event delivered, the storage's work per publish.
/// </summary>
public sealed class FanOut(BenchSettings settings, BenchTarget target, IReadOnlyList<SessionApi> apis, CpuMeter meter)
{
    private static readonly byte[] NewSession = SessionApi.Utf8("""{"data":{"room":"lobby"}}""");

    public async Task<ScenarioResult> Run(CancellationToken cancellationToken)
    {
        var session = await apis[0].Create(NewSession, cancellationToken);
        // One window for the publishers and the sockets; the publishers' loop opens it after its warm-up.
        var window = new MeasureWindow();

        var sockets = new List<Receiver>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            for (var i = 0; i < settings.Sockets; i++)
            {
                var socket = new ClientWebSocket();
                socket.Options.SetRequestHeader("Authorization", session.HeaderValue);
                var uri = new UriBuilder(new Uri(apis[i % apis.Count].Http.BaseAddress!, "/sessions/current/ws")) { Scheme = "ws" }.Uri;
                await socket.ConnectAsync(uri, cancellationToken);
                sockets.Add(new Receiver(socket, window, stop.Token));
            }

            var publishes = await ClosedLoop.Run(settings.Publishers, settings.Warmup, settings.Duration,
                (p, _, ct) => apis[p % apis.Count].Publish(session, SessionApi.Utf8($$"""{"t":{{Stopwatch.GetTimestamp()}}}"""), ct),
                cancellationToken, meter, settings.WarmupMax, window, settings.WaitQuiet, target.Storage);

            // Let what was published reach every socket before counting what went missing.
            var expected = publishes.Acknowledged;
            var drainUntil = DateTime.UtcNow.AddSeconds(5);
            while (DateTime.UtcNow < drainUntil && sockets.Any(s => s.Messages < expected && !s.Closed)) await Task.Delay(50, cancellationToken);

            var latency = LoadResult.NewHistogram();
            foreach (var socket in sockets) latency.Add(socket.Latency);
            var delivered = sockets.Sum(s => s.InWindow);
            var missing = sockets.Sum(s => Math.Max(0, expected - s.Messages));
            var failures = sockets.Sum(s => s.Failures);
            return new ScenarioResult
            {
                Scenario = $"fan-out ({settings.Sockets} sockets)",
                Target = target.Key,
                TargetDescription = target.Description,
                IsSessionGrains = true,
                PerSecond = delivered / settings.Duration.TotalSeconds,
                P50Ms = latency.TotalCount == 0 ? double.NaN : latency.GetValueAtPercentile(50) / 1000.0,
                P99Ms = latency.TotalCount == 0 ? double.NaN : latency.GetValueAtPercentile(99) / 1000.0,
                Operations = delivered,
                Errors = publishes.Errors + failures + missing,
                Connections = settings.Sockets + settings.Publishers,
                Note = string.Create(CultureInfo.InvariantCulture,
                    $"{settings.Publishers} publishers: {publishes.PerSecond:N0} publishes/s (p99 {publishes.P99Ms:N1} ms); events/s over {settings.Sockets} sockets; latency = publish sent to event received; {missing} deliveries missing, {failures} socket failures"),
            }.WithCpu(publishes, delivered) with { Storage = publishes.Storage is { } storage ? storage with { Per = "publish" } : null };
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var socket in sockets) await socket.Close();
        }
    }

    /// <summary>One socket's receive loop: counts message events and records their delivery delay.</summary>
    private sealed class Receiver
    {
        private readonly ClientWebSocket _socket;
        private readonly MeasureWindow _window;
        private readonly Task _loop;

        public Receiver(ClientWebSocket socket, MeasureWindow window, CancellationToken stop)
        {
            _socket = socket;
            _window = window;
            _loop = Task.Run(() => Receive(stop), CancellationToken.None);
        }

        public HistogramBase Latency { get; } = LoadResult.NewHistogram();

        public long Messages;

        public long InWindow;

        public long Failures;

        public bool Closed;

        private async Task Receive(CancellationToken stop)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var count = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        if (count == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                        result = await _socket.ReceiveAsync(buffer.AsMemory(count), stop);
                        count += result.Count;
                    }
                    while (!result.EndOfMessage);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        Failures++;
                        break;
                    }
                    var now = Stopwatch.GetTimestamp();
                    var (type, sent) = Parse(buffer.AsSpan(0, count));
                    if (type == "message")
                    {
                        Messages++;
                        if (_window.Contains(now))
                        {
                            InWindow++;
                            Latency.RecordValue(Math.Max(1, (now - sent) * 1_000_000 / Stopwatch.Frequency));
                        }
                    }
                    else if (type == "gap")
                    {
                        Failures++;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (WebSocketException)
            {
                Failures++;
            }
            finally
            {
                Closed = true;
            }
        }

        /// <summary>The event's type and, for a message, the publisher's timestamp <c>data.t</c>.</summary>
        private static (string? Type, long Sent) Parse(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json);
            string? type = null;
            long sent = 0;
            var depth = 0;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: depth++; break;
                    case JsonTokenType.EndObject: depth--; break;
                    case JsonTokenType.PropertyName when depth == 1 && reader.ValueTextEquals("type"):
                        reader.Read();
                        type = reader.GetString();
                        break;
                    case JsonTokenType.PropertyName when depth == 2 && reader.ValueTextEquals("t"):
                        reader.Read();
                        sent = reader.GetInt64();
                        break;
                }
            }
            return (type, sent);
        }

        public async Task Close()
        {
            try
            {
                if (_socket.State == WebSocketState.Open)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _socket.Dispose();
        }
    }
}
