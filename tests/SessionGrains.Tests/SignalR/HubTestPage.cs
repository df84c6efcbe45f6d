using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// A test-local web server on a free loopback port that serves <c>hub-page.html</c> and the SignalR JavaScript client
/// (<see cref="SignalRScript"/>): an origin of its own, different from every front end's. It must be a real loopback
/// server: Chromium refuses WebSockets to loopback addresses from a page it cannot place on the local network.
/// </summary>
public sealed class HubTestPage : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HubTestPage(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<HubTestPage> Start()
    {
        var script = await SignalRScript.BrowserBuild();
        var html = Path.Combine(RepositoryPaths.Root, "tests", "SessionGrains.Tests", "SignalR", "hub-page.html");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/", () => Results.File(html, "text/html"));
        app.MapGet("/signalr.min.js", () => Results.File(script, "text/javascript"));
        app.MapGet("/favicon.ico", () => Results.NoContent());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HubTestPage(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
