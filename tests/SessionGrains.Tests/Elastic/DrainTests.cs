using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Elastic;

[Collection(ElasticCollection.Name)]
public sealed class DrainTests(LocalCluster cluster, ITestOutputHelper output)
{
    private const int Drained = 2;
    private const int OnDrainedSilo = 1000;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_silo_stopped_with_SIGTERM_hands_its_sessions_and_their_sockets_over_live_without_a_gap()
    {
        List<HttpClient> clients = [cluster.CreateClient(1), cluster.CreateClient(2)];
        var sockets = new ConcurrentDictionary<string, EventSocket>();
        try
        {
            var sessions = await SessionsOn(Drained, clients);
            await Parallel.ForEachAsync(sessions.Select((s, i) => (s, i)), new ParallelOptions { MaxDegreeOfParallelism = 32 },
                async (x, _) => sockets[x.s.Token] = await EventSocket.Connect(cluster.FrontEndUrls[x.i % 2], x.s.Token));
            var first = await PublishToAll(sessions, clients, "before");
            foreach (var session in sessions) await sockets[session.Token].WaitForSeq(first[session.Token], Wait);

            var readsBefore = await Counters("sessiongrains_sessions_state_reads_total");
            var arrivedBefore = await Counters("sessiongrains_sessions_moves_total", "direction=\"in\"");

            // Messages keep flowing to the sessions while their silo drains.
            var failures = new ConcurrentQueue<string>();
            var published = 0;
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = w; !stop.IsCancellationRequested; i += 8)
                {
                    var (status, _) = await Publish(clients[i % 2], sessions[i % sessions.Count].Token, "during");
                    if (status != HttpStatusCode.Accepted) failures.Enqueue($"message answered {(int)status}");
                    else Interlocked.Increment(ref published);
                }
            })).ToList();
            await Task.Delay(TimeSpan.FromSeconds(1));
            var started = Stopwatch.GetTimestamp();
            await cluster.DrainSilo(Drained);
            var drainTook = Stopwatch.GetElapsedTime(started);
            await Task.Delay(TimeSpan.FromSeconds(2));
            await stop.CancelAsync();
            await Task.WhenAll(writers).WaitAsync(Wait);
            var last = await PublishToAll(sessions, clients, "after");
            await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (session, _) =>
            {
                try
                {
                    await sockets[session.Token].WaitForSeq(last[session.Token], Wait);
                }
                catch (TimeoutException)
                {
                    // Reported below with the socket's seqs.
                }
            });

            var reads = await Counters("sessiongrains_sessions_state_reads_total") - readsBefore;
            var arrived = await Counters("sessiongrains_sessions_moves_total", "direction=\"in\"") - arrivedBefore;
            var gaps = sockets.Values.Where(s => s.CloseStatus is not null || !Contiguous(s.Seqs)).Select(s => string.Join(",", s.Seqs)).ToList();
            output.WriteLine($"drained silo {Drained} holding {sessions.Count} sessions with a socket each in {drainTook.TotalMilliseconds:F0} ms (SIGTERM to exit); " +
                $"{arrived} sessions arrived live on the other silos, {reads} states read from storage; {published} messages published during the drain, {failures.Count} refused; " +
                $"{gaps.Count} sockets saw a gap or closed");
            foreach (var gap in gaps.Take(5)) output.WriteLine("seqs: " + gap);
            foreach (var failure in failures.Take(5)) output.WriteLine(failure);

            Assert.Empty(failures);
            Assert.Empty(gaps);
            Assert.True(arrived >= sessions.Count, $"only {arrived} of {sessions.Count} sessions arrived live");
            // Every session moved live and stays live: session grains are registered in the Redis session directory, so
            // the leaving silo takes no registration with it (with Orleans' default directory, 170-430 of the 1,000 moved
            // sessions were deactivated and read back). About zero: 1% allows a session caught mid-move by the stop.
            Assert.True(reads <= sessions.Count / 100, $"{reads} storage reads during the drain");
        }
        finally
        {
            foreach (var socket in sockets.Values) await socket.DisposeAsync();
            clients.ForEach(c => c.Dispose());
            await cluster.StartSilo(Drained);
        }
    }

    /// <summary>Creates sessions until <see cref="OnDrainedSilo"/> of them live on silo <paramref name="silo"/>.</summary>
    private async Task<List<CreatedSession>> SessionsOn(int silo, List<HttpClient> clients)
    {
        var on = new ConcurrentBag<CreatedSession>();
        for (var round = 0; on.Count < OnDrainedSilo && round < 10; round++)
        {
            var batch = await ClusterProbe.CreateSessions(clients, (OnDrainedSilo - on.Count) * cluster.SiloCount + 50);
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (session, _) =>
            {
                using var response = await new SessionApi(clients[0]).Send(HttpMethod.Get, "/sessions/current/placement", session.Token);
                var placement = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (cluster.SiloNumberOf(placement.GetProperty("silo").GetString()!) == silo) on.Add(session);
            });
        }
        Assert.True(on.Count >= OnDrainedSilo, $"only {on.Count} sessions landed on silo {silo}");
        return [.. on.Take(OnDrainedSilo)];
    }

    /// <summary>Posts a message to every session; answers each session's message seq.</summary>
    private static async Task<ConcurrentDictionary<string, long>> PublishToAll(List<CreatedSession> sessions, List<HttpClient> clients, string text)
    {
        var seqs = new ConcurrentDictionary<string, long>();
        await Parallel.ForEachAsync(sessions.Select((s, i) => (s, i)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (x, _) =>
        {
            var (status, seq) = await Publish(clients[x.i % 2], x.s.Token, text);
            Assert.Equal(HttpStatusCode.Accepted, status);
            seqs[x.s.Token] = seq;
        });
        return seqs;
    }

    private static async Task<(HttpStatusCode Status, long Seq)> Publish(HttpClient client, string token, string text)
    {
        using var response = await new SessionApi(client).Send(HttpMethod.Post, "/sessions/current/messages", token, SessionApi.Json($"\"{text}\""));
        if (response.StatusCode != HttpStatusCode.Accepted) return (response.StatusCode, 0);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("seq").GetInt64());
    }

    /// <summary>The counter summed over the silos that stay.</summary>
    private async Task<double> Counters(string metric, string? label = null)
    {
        var sum = 0.0;
        for (var n = 1; n <= cluster.SiloCount; n++)
        {
            if (n != Drained) sum += await ClusterProbe.Counter(cluster, n, metric, label);
        }
        return sum;
    }

    /// <summary>Every event once, in order, none missing: each seq is the previous one plus one.</summary>
    private static bool Contiguous(IReadOnlyList<long> seqs) => seqs.Count > 0 && seqs.Zip(seqs.Skip(1)).All(p => p.Second == p.First + 1);
}
