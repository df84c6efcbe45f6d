using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// A front end process that receives SIGTERM while it has requests in flight (fast ones, and ones waiting on a frozen
/// silo) and idle keep-alive connections: every request it already has gets an answer a client can act on (200, or
/// 503 with Retry-After and Connection: close) within a short bound, and idle connections are closed at once.
/// </summary>
public sealed class FrontEndStopTests(FrontEndStopTests.StopCluster cluster, ITestOutputHelper output) : IClassFixture<FrontEndStopTests.StopCluster>
{
    /// <summary>Far above the 0.5 s drain timeout, far below the 10 s a request waited on a frozen silo before.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    public sealed class StopCluster : LocalCluster
    {
        protected override int Silos => 2;

        protected override int FrontEnds => 1;
    }

    [Fact]
    public async Task A_stopped_front_end_answers_every_request_it_has_and_closes_idle_connections_at_once()
    {
        var url = cluster.FrontEndUrls[0];
        var (slowSession, slowSilo, fastSession) = await SessionsOnBothSilos();
        var clock = Stopwatch.StartNew();

        var idle = new List<RawHttpConnection>();
        for (var i = 0; i < 5; i++)
        {
            var connection = await RawHttpConnection.Open(url);
            idle.Add(connection);
            await connection.Send("GET", "/sessions/current", fastSession.Token);
            Assert.Equal(200, (await connection.Read(CancellationToken.None))?.Status);
        }

        Signals.Send(cluster.SiloPid(slowSilo), Signals.Stop);
        var sigterm = TimeSpan.MaxValue;
        var outcomes = new ConcurrentBag<Outcome>();
        using var stopLoad = new CancellationTokenSource();
        try
        {
            // Requests waiting on the frozen silo: each on its own connection.
            var slow = Enumerable.Range(0, 3).Select(async i =>
            {
                using var connection = await RawHttpConnection.Open(url);
                await connection.Send("PUT", $"/sessions/current/data/slow{i}", slowSession.Token, "1");
                var sent = clock.Elapsed;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var response = await connection.Read(timeout.Token);
                outcomes.Add(new Outcome("slow", sent, clock.Elapsed, response));
            }).ToList();
            await Task.Delay(300);
            // Fast requests on keep-alive connections, back to back, until the front end refuses new connections.
            var busy = Enumerable.Range(0, 6).Select(i => Task.Run(() => Busy(url, fastSession.Token, i, clock, outcomes, stopLoad.Token))).ToList();
            await Task.Delay(500);

            sigterm = clock.Elapsed;
            Signals.Send(cluster.FrontEndPid(1), Signals.Term);
            var idleClosed = idle.Select(async connection =>
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                return (await connection.WaitClosed(timeout.Token), clock.Elapsed - sigterm);
            }).ToList();

            await Task.WhenAll(slow).WaitAsync(TimeSpan.FromSeconds(40));
            await Task.WhenAll(busy).WaitAsync(TimeSpan.FromSeconds(40));
            var closed = await Task.WhenAll(idleClosed).WaitAsync(TimeSpan.FromSeconds(40));

            foreach (var o in outcomes.Where(o => o.Answered > sigterm - TimeSpan.FromMilliseconds(50)).OrderBy(o => o.Sent))
                output.WriteLine($"{o.Kind,-6} sent {Ms(o.Sent - sigterm),6} ms  answered {Ms(o.Answered - sigterm),6} ms after SIGTERM: {o.Describe()}");
            foreach (var (wasClosed, after) in closed) output.WriteLine($"idle keep-alive connection closed: {wasClosed}, {Ms(after)} ms after SIGTERM");

            // Requests the front end had at the moment of SIGTERM (sent at least 20 ms before it, so surely read): each answered.
            var held = outcomes.Where(o => o.Sent < sigterm - TimeSpan.FromMilliseconds(20) && o.Answered > sigterm).ToList();
            Assert.Contains(held, o => o.Kind == "slow");
            Assert.All(held, o =>
            {
                Assert.True(o.Response is { Status: 200 } or { Status: 503 }, $"{o.Kind} request held at SIGTERM: {o.Describe()}");
                Assert.True(o.Answered - sigterm < Bound, $"{o.Kind} request answered {Ms(o.Answered - sigterm)} ms after SIGTERM");
            });
            // Those waiting on the frozen silo are handed back, retryable, on a connection the client must not reuse.
            Assert.All(outcomes.Where(o => o.Kind == "slow"), o =>
            {
                Assert.Equal(503, o.Response?.Status);
                Assert.NotNull(o.Response!.Header("Retry-After"));
                Assert.Equal("close", o.Response.Header("Connection"));
            });
            // Every answer after SIGTERM closes its connection; idle connections are closed at once.
            Assert.All(outcomes.Where(o => o.Response is not null && o.Answered > sigterm + TimeSpan.FromMilliseconds(100)), o => Assert.Equal("close", o.Response!.Header("Connection")));
            Assert.All(closed, c => Assert.True(c.Item1 && c.Item2 < Bound, $"idle connection closed: {c.Item1} after {Ms(c.Item2)} ms"));
        }
        finally
        {
            await stopLoad.CancelAsync();
            Signals.Send(cluster.SiloPid(slowSilo), Signals.Cont);
            foreach (var connection in idle) connection.Dispose();
        }
    }

    private static async Task Busy(Uri url, string token, int n, Stopwatch clock, ConcurrentBag<Outcome> outcomes, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            RawHttpConnection connection;
            try
            {
                connection = await RawHttpConnection.Open(url);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return; // refused: the front end no longer takes connections
            }
            using (connection)
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await connection.Send("PUT", $"/sessions/current/data/busy{n}", token, i.ToString());
                    }
                    catch (IOException)
                    {
                        break; // closed before the request could be written
                    }
                    var sent = clock.Elapsed;
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    var response = await connection.Read(timeout.Token);
                    outcomes.Add(new Outcome("busy", sent, clock.Elapsed, response));
                    if (response is null || response.Header("Connection") == "close") break;
                }
            }
        }
    }

    private async Task<(CreatedSession Slow, int SlowSilo, CreatedSession Fast)> SessionsOnBothSilos()
    {
        using var http = cluster.CreateClient(1);
        var api = new SessionApi(http);
        var bySilo = new Dictionary<int, CreatedSession>();
        for (var i = 0; i < 100 && bySilo.Count < 2; i++)
        {
            var session = await api.Create();
            using var placement = await api.Send(HttpMethod.Get, "/sessions/current/placement", session.Token);
            var silo = cluster.SiloNumberOf(JsonDocument.Parse(await placement.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString()!);
            bySilo.TryAdd(silo, session);
        }
        Assert.Equal(2, bySilo.Count);
        return (bySilo[1], 1, bySilo[2]);
    }

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;

    private sealed record Outcome(string Kind, TimeSpan Sent, TimeSpan Answered, RawHttpResponse? Response)
    {
        public string Describe() => Response is null
            ? "connection closed without a response"
            : $"{Response.Status} Retry-After={Response.Header("Retry-After") ?? "-"} Connection={Response.Header("Connection") ?? "-"}";
    }
}

/// <summary>
/// The drain itself, frozen in the moment after the stop signal: the host is told to stop (ApplicationStopping) but
/// nothing stops Kestrel, so what a stopping front end answers can be asked at leisure.
/// </summary>
public sealed class FrontEndDrainTests
{
    [Fact]
    public async Task A_stopping_front_end_is_not_ready_and_closes_every_connection_it_answers()
    {
        var frontEnd = new StandaloneFrontEnd();
        await frontEnd.InitializeAsync();
        try
        {
            using var http = frontEnd.CreateClient();
            var api = new SessionApi(http);
            var session = await api.Create();
            using (var ready = await http.GetAsync("/readyz")) Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);

            frontEnd.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().StopApplication();

            using var notReady = await http.GetAsync("/readyz");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
            Assert.Equal("stopping", JsonDocument.Parse(await notReady.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
            Assert.True(notReady.Headers.ConnectionClose);
            // A request the front end still gets is served (the silo answers at once), and its connection closed.
            using var read = await api.Send(HttpMethod.Get, "/sessions/current", session.Token);
            Assert.Equal(System.Net.HttpStatusCode.OK, read.StatusCode);
            Assert.True(read.Headers.ConnectionClose);
        }
        finally
        {
            await frontEnd.DisposeAsync();
        }
    }
}
