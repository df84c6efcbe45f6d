using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SessionGrains.Http;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.ClientLibrary;

/// <summary>SessionGrains.Http against the real front end: every operation, typed errors, idempotency keys.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class HttpClientTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly ServiceProvider _services = Services(frontEnd.BaseAddress);

    private SessionGrainsClient Client => _services.GetRequiredService<SessionGrainsClient>();

    public static ServiceProvider Services(Uri baseAddress, Action<IHttpClientBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddSessionGrainsClient(o =>
        {
            o.BaseAddress = baseAddress;
            o.RetryDelay = TimeSpan.FromMilliseconds(20);
            o.ReconnectDelay = TimeSpan.FromMilliseconds(50);
        });
        configure?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Every_operation_round_trips_and_refusals_are_typed()
    {
        var client = Client;
        var created = await client.CreateAsync(new CreateSessionRequest { Data = new Dictionary<string, object?> { ["theme"] = "dark" }, IdleTimeout = TimeSpan.FromMinutes(5) });
        Assert.Equal(1, created.Version);

        Assert.Equal("dark", await client.GetValueAsync<string>(created.Token, "theme"));
        var v2 = await client.PutAsync(created.Token, "cart", new[] { "book" }, new WriteOptions { IfMatch = 1 });
        Assert.Equal(2, v2);
        await Assert.ThrowsAsync<VersionMismatchException>(() => client.PutAsync(created.Token, "cart", new[] { "pen" }, new WriteOptions { IfMatch = 1 }));
        var v3 = await client.PatchAsync(created.Token, new JsonObject { ["theme"] = null, ["lang"] = "en" });
        Assert.Equal(3, v3);
        Assert.Equal(new CounterValue(5, 4), await client.IncrementAsync(created.Token, "visits", 5));
        await Assert.ThrowsAsync<NotAnIntegerException>(() => client.IncrementAsync(created.Token, "lang"));
        Assert.Equal(5, await client.RemoveAsync(created.Token, "lang"));
        await Assert.ThrowsAsync<SessionKeyNotFoundException>(() => client.RemoveAsync(created.Token, "lang"));
        await Assert.ThrowsAsync<SessionKeyNotFoundException>(() => client.GetValueAsync(created.Token, "theme"));

        var snapshot = await client.GetAsync(created.Token);
        Assert.Equal(5, snapshot.Version);
        Assert.Equal(["cart", "visits"], snapshot.Data.Keys.Order());
        Assert.False(string.IsNullOrEmpty((await client.GetPlacementAsync(created.Token)).Silo));
        Assert.True(await client.SendMessageAsync(created.Token, new { text = "hi" }) > 0);

        var rotated = await client.RotateAsync(created.Token);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => client.GetAsync(created.Token));
        await client.DeleteAsync(rotated.Token);
        var gone = await Assert.ThrowsAsync<SessionNotFoundException>(() => client.GetAsync(rotated.Token));
        Assert.Equal("session-not-found", gone.ProblemName);
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        await Assert.ThrowsAsync<SessionUnauthorizedException>(() => client.GetAsync("not-a-token"));
    }

    [Fact]
    public async Task A_key_repeated_with_the_same_write_replays_and_with_another_write_is_refused()
    {
        var client = Client;
        var session = await client.CreateAsync();
        var write = new WriteOptions { IdempotencyKey = "order-42" };

        Assert.Equal(new CounterValue(1, 2), await client.IncrementAsync(session.Token, "n", 1, write));
        Assert.Equal(new CounterValue(1, 2), await client.IncrementAsync(session.Token, "n", 1, write));
        var reused = await Assert.ThrowsAsync<IdempotencyKeyReusedException>(() => client.IncrementAsync(session.Token, "n", 2, write));
        Assert.Equal((HttpStatusCode)422, reused.Status);
    }

    [Fact]
    public async Task Leases_serialize_read_modify_write_and_a_busy_lease_is_typed()
    {
        var client = Client;
        var session = await client.CreateAsync(new CreateSessionRequest { Data = new Dictionary<string, object?> { ["n"] = 0 } });
        var lease = await client.AcquireLeaseAsync(session.Token, new LeaseRequest { LeaseId = "mine", Ttl = TimeSpan.FromSeconds(10) });
        Assert.Equal(0, lease.Session.Data["n"].GetInt32());

        var busy = await Assert.ThrowsAsync<LeaseBusyException>(() => client.AcquireLeaseAsync(session.Token, new LeaseRequest { Wait = TimeSpan.FromMilliseconds(50) }));
        Assert.Equal(TimeSpan.FromSeconds(1), busy.RetryAfter);
        var waiting = client.AcquireLeaseAsync(session.Token, new LeaseRequest { LeaseId = "next" });

        Assert.Equal(2, await client.ReleaseLeaseAsync(session.Token, "mine", new JsonObject { ["n"] = 1 }));
        var next = await waiting;
        Assert.Equal(1, next.Session.Data["n"].GetInt32());
        await Assert.ThrowsAsync<LeaseLostException>(() => client.PutAsync(session.Token, "n", 7, new WriteOptions { LeaseId = "mine" }));
        Assert.Equal(2, await client.ReleaseLeaseAsync(session.Token, "next"));
    }

    public void Dispose() => _services.Dispose();
}
