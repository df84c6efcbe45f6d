using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Deploy;

/// <summary>A standalone front end behind the compose topology's nginx (deploy/nginx.conf, adapted to local ports).</summary>
public sealed class NginxFrontEnd : StandaloneFrontEnd, IAsyncLifetime
{
    public NginxProxy Proxy { get; private set; } = null!;

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Proxy = await NginxProxy.Start([BaseAddress]);
    }

    public new async Task DisposeAsync()
    {
        if (Proxy is not null) await Proxy.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Finding: nginx forwarded <c>$host</c> without the port, so the cookie WebSocket's Origin check refused the example
/// page through the load balancer (403 through nginx, 101 direct). The browser's Host now passes unchanged.
/// </summary>
public sealed class NginxProxyTests(NginxFrontEnd frontEnd) : IClassFixture<NginxFrontEnd>, IAsyncLifetime
{
    private HttpClient _http = null!;
    private Uri Lb => frontEnd.Proxy.BaseAddress;
    private string PageOrigin => Lb.GetLeftPart(UriPartial.Authority);

    public Task InitializeAsync()
    {
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = Lb, Timeout = TimeSpan.FromSeconds(30) };
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_example_pages_cookie_WebSocket_opens_through_the_load_balancer()
    {
        using var page = await _http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var token = await CreateSession();

        using var socket = CookieSocket(token, PageOrigin);
        await socket.ConnectAsync(WebSocketUri(), CancellationToken.None);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        await socket.SendAsync("""{"type":"ping"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.Equal("""{"type":"pong"}""", System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }

    [Fact]
    public async Task A_cross_site_cookie_WebSocket_is_still_refused_through_the_load_balancer()
    {
        var token = await CreateSession();
        using var socket = CookieSocket(token, "http://evil.example");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri(), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task A_cookie_authenticated_write_from_the_page_passes_the_CSRF_check_through_the_load_balancer()
    {
        var token = await CreateSession();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/sessions/current/data/greeting") { Content = SessionApi.Json("\"hi\"") };
        request.Headers.Add("Cookie", "sid=" + token);
        request.Headers.Add("Origin", PageOrigin);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<string> CreateSession()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sessions") { Content = SessionApi.Json("""{"data":{"greeting":"hello"}}""") };
        request.Headers.Add("Origin", PageOrigin);
        using var created = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>A WebSocket as a browser opens it: the cookie, and the page's origin.</summary>
    private static ClientWebSocket CookieSocket(string token, string origin)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Cookie", "sid=" + token);
        socket.Options.SetRequestHeader("Origin", origin);
        return socket;
    }

    private Uri WebSocketUri() => new UriBuilder(Lb) { Scheme = "ws", Path = "/sessions/current/ws" }.Uri;

    public Task DisposeAsync()
    {
        _http.Dispose();
        return Task.CompletedTask;
    }
}
