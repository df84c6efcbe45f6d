using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Http;

[Collection(StandaloneCollection.Name)]
public sealed class ConcurrencyTests(StandaloneFrontEnd frontEnd, ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_increments_from_32_connections_end_exactly_at_the_number_acknowledged()
    {
        const int connections = 32, increments = 2000;
        using var setup = frontEnd.CreateClient();
        var session = await new SessionApi(setup).Create();

        var remaining = increments;
        var acknowledged = 0;
        var refused = 0;
        var started = DateTime.UtcNow;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            // One HttpClient (one connection pool) per simulated client.
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = frontEnd.BaseAddress };
            var api = new SessionApi(http);
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                using var response = await api.Send(HttpMethod.Post, "/sessions/current/counters/hits/increment", session.Token);
                if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref acknowledged);
                else if (response.StatusCode == HttpStatusCode.TooManyRequests) Interlocked.Increment(ref refused);
                else Assert.Fail($"increment answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }));
        var elapsed = DateTime.UtcNow - started;

        var final = (await new SessionApi(setup).Get(session.Token)).GetProperty("data").GetProperty("hits").GetInt64();
        output.WriteLine($"{acknowledged} acknowledged, {refused} rate limited, final counter {final}, {increments / elapsed.TotalSeconds:F0} requests/s");
        Assert.Equal(acknowledged, final);
        Assert.True(acknowledged > 0);
        Assert.Equal(increments, acknowledged + refused);
    }
}
