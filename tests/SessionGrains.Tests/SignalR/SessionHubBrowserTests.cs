using System.Text.Json;
using Microsoft.Playwright;
using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// <c>/hubs/session</c> with the official SignalR JavaScript client in headless Chromium, on a real cluster, through
/// SIGKILLs of front ends and of the silo holding the session. The page (<c>hub-page.html</c>) comes from an origin of
/// its own (<see cref="HubTestPage"/>), so every hub connection is cross-origin and carries its token in
/// <c>access_token</c>, as the client sends it from a browser.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SessionHubBrowserTests(LocalCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private HubTestPage _site = null!;
    private Infrastructure.Browser _browser = null!;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _site = await HubTestPage.Start();
        _browser = await Infrastructure.Browser.Launch();
        var context = await _browser.NewContext(_site.Address);
        _page = await context.NewPageAsync();
        // Chromium says there why a WebSocket failed; scripts only learn that it did.
        _page.Console += (_, message) => output.WriteLine($"browser console: {message.Text}");
        await _page.GotoAsync("/");
    }

    [Fact]
    public async Task The_JavaScript_client_misses_nothing_through_front_end_and_silo_kills_and_is_refused_without_a_genuine_token()
    {
        var frontEnds = cluster.FrontEndUrls.Select(u => u.GetLeftPart(UriPartial.Authority)).ToArray();
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var session = await new SessionApi(http2).Create();

        var refused = await _page.EvaluateAsync<string>("([url, token]) => tryConnect(url, token)", new[] { frontEnds[0] + "/hubs/session", session.Token[..^2] + "xx" });
        // A browser does not show a refused upgrade's status to scripts (the 401 itself: SessionHubTests); the start fails.
        Assert.Contains("WebSocket failed to connect", refused);
        Assert.Equal("connected", await _page.EvaluateAsync<string>("([url, token]) => tryConnect(url, token)", new[] { frontEnds[0] + "/hubs/session", session.Token }));

        await _page.EvaluateAsync("([frontEnds, token]) => { follow(frontEnds, token); }", new object[] { frontEnds, session.Token });
        await _page.WaitForFunctionAsync("() => window.hubTest.connections === 1", null, new() { Timeout = Ms(Wait) });

        var writer = new MessageWriter([http2, http1], session.Token, TimeSpan.FromMilliseconds(50));
        long last;
        try
        {
            // The page is on front end 1: kill it, then (restarted) the other one the page moved to.
            for (var run = 1; run <= 2; run++)
            {
                var killed = run;
                await WaitForSeqs(5 * run);
                await cluster.KillFrontEnd(killed);
                await _page.WaitForFunctionAsync($"() => window.hubTest.reconnects.length >= {run}", null, new() { Timeout = Ms(Wait) });
                await cluster.StartFrontEnd(killed);
            }

            var silo = await SessionPlacement.SiloOf(cluster, http1, session.Token);
            var atKill = writer.LastAcknowledged;
            await cluster.KillSilo(silo);
            output.WriteLine($"SIGKILL silo {silo} (hosting the session) at seq {atKill}");
            try
            {
                await writer.WaitForAcknowledgedAbove(atKill + 30, TimeSpan.FromSeconds(90));
            }
            finally
            {
                await cluster.StartSilo(silo);
            }
        }
        finally
        {
            last = await writer.Stop();
            await writer.DisposeAsync();
        }

        await _page.WaitForFunctionAsync($"() => window.hubTest.seqs.includes({last})", null, new() { Timeout = Ms(Wait) });
        var seqs = await _page.EvaluateAsync<long[]>("() => window.hubTest.seqs");
        var reconnects = await _page.EvaluateAsync<JsonElement>("() => window.hubTest.reconnects");
        foreach (var r in reconnects.EnumerateArray())
        {
            output.WriteLine($"JavaScript client reconnected to {r.GetProperty("url").GetString()}: first event (seq {r.GetProperty("seq")}) "
                + $"{r.GetProperty("firstEventMs").GetDouble():F0} ms after the new connection started, {r.GetProperty("sinceCloseMs").GetDouble():F0} ms after the close");
            Assert.True(r.GetProperty("firstEventMs").GetDouble() < 10_000);
        }
        Assert.Equal(2, reconnects.GetArrayLength());
        var gaps = await _page.EvaluateAsync<string[]>("() => window.hubTest.events.filter(e => e.type === 'gap').map(e => JSON.stringify(e))");
        foreach (var gap in gaps) output.WriteLine($"gap: {gap}");
        Assert.Empty(gaps);
        DeliveryAssert.EveryAcknowledgedEventOnceInOrder(seqs, writer.Acknowledged);
        output.WriteLine($"{last} messages acknowledged, each received once and in order by the page over {await _page.EvaluateAsync<int>("() => window.hubTest.connections")} connections");
    }

    private Task WaitForSeqs(int count) =>
        _page.WaitForFunctionAsync($"() => window.hubTest.seqs.length >= {count}", null, new() { Timeout = Ms(Wait) });

    private static float Ms(TimeSpan t) => (float)t.TotalMilliseconds;

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _site.DisposeAsync();
    }
}
