using Microsoft.Extensions.DependencyInjection;
using SessionGrains.Http;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.ClientLibrary;

/// <summary>The client's event stream over real WebSockets: it resumes by itself across cut connections and ends with the session.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class EventStreamTests(StandaloneFrontEnd frontEnd)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_stream_reconnects_after_a_cut_connection_resumes_without_loss_or_duplicate_and_ends_on_deleted()
    {
        await using var proxy = new LoopbackProxy(frontEnd.BaseAddress);
        using var services = HttpClientTests.Services(proxy.Address);
        var client = services.GetRequiredService<SessionGrainsClient>();
        var session = await client.CreateAsync();
        using var timeout = new CancellationTokenSource(Patience);

        var received = new List<SessionEvent>();
        await using var events = client.ReadEventsAsync(session.Token, cancellationToken: timeout.Token).GetAsyncEnumerator(timeout.Token);
        var reading = events.MoveNextAsync().AsTask();
        await Task.Delay(300); // the socket is open
        await client.PutAsync(session.Token, "a", 1);
        Assert.True(await reading);
        received.Add(events.Current);

        proxy.DropAll();
        // Written while the stream is away: it must arrive after the reconnection, from the session's log.
        await client.PutAsync(session.Token, "b", 2);
        await client.PutAsync(session.Token, "c", 3);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await events.MoveNextAsync());
            received.Add(events.Current);
        }
        await client.DeleteAsync(session.Token);
        Assert.True(await events.MoveNextAsync());
        received.Add(events.Current);
        Assert.False(await events.MoveNextAsync());

        Assert.Equal([SessionEventType.Changed, SessionEventType.Changed, SessionEventType.Changed, SessionEventType.Deleted], received.Select(e => e.Type));
        Assert.Equal(["a", "b", "c"], received.Take(3).Select(e => e.Keys.Single()));
        var seqs = received.Select(e => e.Seq!.Value).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
    }

    [Fact]
    public async Task A_stream_started_after_a_sequence_number_replays_what_came_after_it()
    {
        using var services = HttpClientTests.Services(frontEnd.BaseAddress);
        var client = services.GetRequiredService<SessionGrainsClient>();
        var session = await client.CreateAsync();
        await client.PutAsync(session.Token, "x", 1);
        await client.SendMessageAsync(session.Token, new { hello = "world" });
        using var timeout = new CancellationTokenSource(Patience);

        var first = new List<SessionEvent>();
        await foreach (var e in client.ReadEventsAsync(session.Token, afterSeq: 0, timeout.Token))
        {
            first.Add(e);
            if (first.Count == 2) break;
        }
        Assert.Equal(SessionEventType.Message, first[1].Type);
        Assert.Equal("world", first[1].Data!.Value.GetProperty("hello").GetString());

        await Assert.ThrowsAsync<SessionUnauthorizedException>(async () =>
        {
            await foreach (var _ in client.ReadEventsAsync("AAAAAAAAAAAAAAAAAAAAAA.forged", cancellationToken: timeout.Token)) { }
        });
        await client.DeleteAsync(session.Token);
        await Assert.ThrowsAsync<SessionNotFoundException>(async () =>
        {
            await foreach (var _ in client.ReadEventsAsync(session.Token, cancellationToken: timeout.Token)) { }
        });
    }
}
