using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionGrains.AspNetCore;

namespace SessionGrains.Tests.Adoption;

/// <summary>
/// An app written against HttpContext.Session, in this process on a free loopback port, with the session store a test
/// chooses. Apps made with the same <paramref name="keys"/> folder share data-protection keys, as instances of one app do.
/// </summary>
public sealed class SessionApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SessionApp(WebApplication app, ConcurrentQueue<string> warnings)
    {
        _app = app;
        Warnings = warnings;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Warnings and errors the session middleware and stores logged.</summary>
    public ConcurrentQueue<string> Warnings { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<SessionApp> Start(string keys, Action<IServiceCollection> store)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var warnings = new ConcurrentQueue<string>();
        builder.Logging.ClearProviders().AddProvider(new CollectingLoggerProvider(warnings));
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys)).SetApplicationName("session-app");
        store(builder.Services);
        builder.Services.AddSession(o =>
        {
            o.Cookie.Name = ShopProcess.CookieName;
            o.IOTimeout = TimeSpan.FromSeconds(20);
        });
        var app = builder.Build();
        app.UseSession();
        app.MapGet("/get/{key}", (string key, HttpContext c) => c.Session.GetString(key) ?? "(none)");
        app.MapPost("/set/{key}", (string key, string value, HttpContext c) => c.Session.SetString(key, value));
        app.MapPost("/remove/{key}", (string key, HttpContext c) => c.Session.Remove(key));
        app.MapPost("/clear", (HttpContext c) => c.Session.Clear());
        app.MapGet("/keys", (HttpContext c) => string.Join(",", c.Session.Keys.Order(StringComparer.Ordinal)));
        app.MapGet("/id", (HttpContext c) => c.Session.Id);
        app.MapGet("/untouched", () => "ok");
        app.MapPost("/append-slowly/{key}", async (string key, string value, int ms, HttpContext c) =>
        {
            await c.Session.LoadAsync();
            var before = c.Session.GetString(key) ?? "";
            await Task.Delay(ms);
            c.Session.SetString(key, before + value);
            return before + value;
        });
        app.MapPost("/fail", (HttpContext c) =>
        {
            c.Session.SetString("never", "stored");
            throw new InvalidOperationException("the endpoint failed");
        });
        await app.StartAsync();
        var session = new SessionApp(app, warnings)
        {
            Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
        };
        return session;
    }

    /// <summary>The SessionGrains token inside a cookie this app set (as <c>name=value</c>), or null when it holds none.</summary>
    public string? TokenIn(string cookie)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Cookie = cookie;
        var content = Services.GetRequiredService<SessionCookie>().Read(http);
        return SessionCookie.IsToken(content) ? content : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> warnings) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, warnings);

        public void Dispose()
        {
        }

        private sealed class Collector(string category, ConcurrentQueue<string> warnings) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel >= LogLevel.Warning && (category.Contains("Session", StringComparison.Ordinal)))
                    warnings.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " (" + exception.GetType().Name + ": " + exception.Message + ")")}");
            }
        }
    }
}
