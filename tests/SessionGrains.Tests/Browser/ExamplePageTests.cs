using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace SessionGrains.Tests.Browser;

/// <summary>The example page at <c>/</c> (Client/wwwroot) in headless Chromium against a standalone front end.</summary>
public sealed class ExamplePageTests(ExamplePageFrontEnd frontEnd) : IClassFixture<ExamplePageFrontEnd>, IAsyncLifetime
{
    /// <summary>"Live": a change made elsewhere shows within this.</summary>
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http = frontEnd.CreateClient();
    private Infrastructure.Browser _browser = null!;
    private IBrowserContext _context = null!;

    private SessionApi Api => new(_http);

    public async Task InitializeAsync()
    {
        _browser = await Infrastructure.Browser.Launch();
        _context = await _browser.NewContext(frontEnd.BaseAddress);
    }

    [Fact]
    public async Task The_page_shows_a_change_made_over_HTTP_at_once_and_the_silo_that_hosts_the_session()
    {
        var page = await _context.NewPageAsync();
        await page.GotoAsync("/");
        await Expect(page.Locator("#socket-state")).ToHaveTextAsync("open", new() { Timeout = Ms(Live) });
        var token = await BrowserSessionToken();
        await Expect(page.Locator("#session-id")).ToHaveTextAsync(token.Split('.')[0]);

        await Put(token, "x", """{"from":"http","n":1}""");

        await Expect(ValueCell(page, "x")).ToHaveTextAsync("""{"from":"http","n":1}""", new() { Timeout = Ms(Live) });
        await Expect(page.Locator("#silo")).ToHaveTextAsync(await PlacementSilo(token), new() { Timeout = Ms(Live) });
        await Infrastructure.Browser.Screenshot(page, "example-page.png");
    }

    [Fact]
    public async Task The_page_reconnects_by_itself_after_its_socket_drops_and_misses_no_event()
    {
        var page = await _context.NewPageAsync();
        // Every socket of the page goes through this route, so the test can drop one as a network fault would.
        var sockets = new ConcurrentQueue<IWebSocketRoute>();
        await page.RouteWebSocketAsync(new Regex("/sessions/current/ws"), socket =>
        {
            socket.ConnectToServer();
            sockets.Enqueue(socket);
        });
        await page.GotoAsync("/");
        await Expect(page.Locator("#socket-state")).ToHaveTextAsync("open", new() { Timeout = Ms(Live) });
        var token = await BrowserSessionToken();
        await Put(token, "before", "1");
        await Expect(ValueCell(page, "before")).ToHaveTextAsync("1", new() { Timeout = Ms(Live) });

        Assert.True(sockets.TryPeek(out var first));
        await first.CloseAsync(new() { Code = 4000, Reason = "dropped by the test" });
        await Put(token, "meanwhile", "2");

        await Eventually(() => sockets.Count >= 2, Live, "the page did not open a new socket after the drop");
        await Expect(page.Locator("#socket-state")).ToHaveTextAsync("open", new() { Timeout = Ms(Live) });
        await Expect(ValueCell(page, "meanwhile")).ToHaveTextAsync("2", new() { Timeout = Ms(Live) });
        // The change made while the socket was down arrives as an event too (replayed with afterSeq, or live).
        await Expect(page.Locator("#events li", new() { HasText = "\"seq\":2" })).ToHaveCountAsync(1, new() { Timeout = Ms(Live) });
        await Expect(page.Locator("#events li", new() { HasText = "\"seq\":1" })).ToHaveCountAsync(1);
    }

    public async Task DisposeAsync()
    {
        await _context.DisposeAsync();
        await _browser.DisposeAsync();
        _http.Dispose();
    }

    /// <summary>The page's own session: the token in the browser's HttpOnly <c>sid</c> cookie.</summary>
    private async Task<string> BrowserSessionToken()
    {
        var cookies = await _context.CookiesAsync([frontEnd.BaseAddress.ToString()]);
        return Assert.Single(cookies, c => c.Name == "sid").Value;
    }

    private async Task Put(string token, string key, string json)
    {
        using var response = await Api.Send(HttpMethod.Put, $"/sessions/current/data/{key}", token, SessionApi.Json(json));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<string> PlacementSilo(string token)
    {
        using var response = await Api.Send(HttpMethod.Get, "/sessions/current/placement", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("silo").GetString()!;
    }

    private static ILocator ValueCell(IPage page, string key) => page.Locator($"#data tr[data-key='{key}'] td").Nth(1);

    private static float Ms(TimeSpan timeout) => (float)timeout.TotalMilliseconds;

    private static async Task Eventually(Func<bool> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }
}
