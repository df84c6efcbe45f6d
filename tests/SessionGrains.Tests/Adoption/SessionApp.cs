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

    private SessionApp(WebApplication app, ConcurrentQueue<string> warnings, ConcurrentQueue<LogEntry> log)
    {
        _app = app;
        Warnings = warnings;
        Log = log;
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Warnings and errors the session middleware and stores logged.</summary>
    public ConcurrentQueue<string> Warnings { get; }

    /// <summary>Every warning and error of the session middleware and stores, with the text their state formats to by itself.</summary>
    public ConcurrentQueue<LogEntry> Log { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="session">Changes to the options given to <c>AddSession</c>.</param>
    /// <param name="useSession">Options given to <c>UseSession(options)</c> instead; null: <c>UseSession()</c>.</param>
    public static async Task<SessionApp> Start(string keys, Action<IServiceCollection> store, Action<SessionOptions>? session = null, SessionOptions? useSession = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var warnings = new ConcurrentQueue<string>();
        var log = new ConcurrentQueue<LogEntry>();
        builder.Logging.ClearProviders().AddProvider(new CollectingLoggerProvider(warnings, log));
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys)).SetApplicationName("session-app");
        store(builder.Services);
        builder.Services.AddSession(o =>
        {
            o.Cookie.Name = ShopProcess.CookieName;
            o.IOTimeout = TimeSpan.FromSeconds(20);
            session?.Invoke(o);
        });
        var app = builder.Build();
        if (useSession is null) app.UseSession();
        else app.UseSession(useSession);
        app.MapGet("/get/{key}", (string key, HttpContext c) => c.Session.GetString(key) ?? "(none)");
        app.MapPost("/set/{key}", (string key, string value, HttpContext c) => c.Session.SetString(key, value));
        app.MapPost("/remove/{key}", (string key, HttpContext c) => c.Session.Remove(key));
        app.MapPost("/clear", (HttpContext c) => c.Session.Clear());
        app.MapGet("/keys", (HttpContext c) => string.Join(",", c.Session.Keys.Order(StringComparer.Ordinal)));
        app.MapGet("/id", (HttpContext c) => c.Session.Id);
        app.MapGet("/untouched", () => "ok");
        // Read-only pages: the session without its lease (ReadOnlySessionAttribute as endpoint metadata).
        app.MapGet("/peek/{key}", (string key, HttpContext c) => c.Session.GetString(key) ?? "(none)").WithMetadata(new ReadOnlySessionAttribute());
        app.MapPost("/peek-set/{key}", (string key, string value, HttpContext c) => c.Session.SetString(key, value)).WithMetadata(new ReadOnlySessionAttribute());
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
        MapProbes(app);
        await app.StartAsync();
        var started = new SessionApp(app, warnings, log)
        {
            Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
        };
        return started;
    }

    /// <summary>Endpoints for the store's behaviour under failures, timeouts and cancellation (StoreBehaviourTests).</summary>
    private static void MapProbes(WebApplication app)
    {
        // Two looks at an implicitly loaded session, and how long the second one took (a retried load would take as long).
        app.MapGet("/availability", (HttpContext c) =>
        {
            var first = c.Session.IsAvailable;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var second = c.Session.IsAvailable;
            var id = c.Session.Id;
            c.Session.SetString("ignored", "while unavailable");
            return $"{first}|{second}|{id}|{c.Session.GetString("ignored") ?? "(none)"}|{clock.ElapsedMilliseconds}";
        });
        // LoadAsync's outcome: "loaded", or the type of what it threw.
        app.MapGet("/load", async (bool? cancelled, HttpContext c) =>
        {
            try
            {
                await c.Session.LoadAsync(cancelled == true ? new CancellationToken(true) : CancellationToken.None);
                return "loaded";
            }
            catch (Exception ex)
            {
                return $"{ex.GetType().Name}: {ex.Message}|{c.Session.IsAvailable}";
            }
        });
        // Holds the session's lease for a while, then changes it before answering (the commit runs before the response starts).
        app.MapPost("/slow-set/{key}", async (string key, string value, int ms, HttpContext c) =>
        {
            await c.Session.LoadAsync();
            await Task.Delay(ms);
            c.Session.SetString(key, value);
            return "stored";
        });
        // Answers at once, then changes the session after the response started (the commit comes after the response).
        app.MapPost("/late-set/{key}", async (string key, string value, int ms, HttpContext c) =>
        {
            await c.Session.LoadAsync();
            await c.Response.WriteAsync("sent");
            await c.Response.Body.FlushAsync();
            await Task.Delay(ms);
            c.Session.SetString(key, value);
        });
        // Changes the session, then works on while the client goes away.
        app.MapPost("/set-then-work/{key}", async (string key, string value, HttpContext c) =>
        {
            c.Session.SetString(key, value);
            await Task.Delay(1500);
            await c.Response.WriteAsync("done");
        });
    }

    /// <summary>
    /// The SessionGrains token of the session a cookie this app set names (as <c>name=value</c>), or null when it names
    /// none. A reference (what the grain modes put in cookies) gets its token from the app's signing key.
    /// </summary>
    public string? TokenIn(string cookie)
    {
        var content = ContentOf(cookie);
        if (SessionCookie.IsReference(content)) return Services.GetRequiredService<SessionGrains.Direct.SessionTokens>().Issue(SessionCookie.IdOf(content!));
        return SessionCookie.IsToken(content) ? content : null;
    }

    /// <summary>What a cookie this app set holds (a token or a reference), or null.</summary>
    public string? ContentOf(string cookie)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Cookie = cookie;
        return Services.GetRequiredService<SessionCookie>().Read(http);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>One log entry: level, category, event id, the text its state formats to by itself, and its exception.</summary>
    public sealed record LogEntry(LogLevel Level, string Category, int EventId, string StateText, Exception? Exception);

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> warnings, ConcurrentQueue<LogEntry> log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, warnings, log);

        public void Dispose()
        {
        }

        private sealed class Collector(string category, ConcurrentQueue<string> warnings, ConcurrentQueue<LogEntry> log) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel < LogLevel.Warning || !category.Contains("Session", StringComparison.Ordinal)) return;
                log.Enqueue(new LogEntry(logLevel, category, eventId.Id, state?.ToString() ?? "", exception));
                warnings.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " (" + exception.GetType().Name + ": " + exception.Message + ")")}");
            }
        }
    }
}
