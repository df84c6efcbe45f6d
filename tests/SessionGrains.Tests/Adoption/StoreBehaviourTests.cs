using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionGrains.AspNetCore;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Adoption;

/// <summary>
/// The store behaves as ASP.NET Core's own session does, whichever way the session options are given, and never answers
/// a page as if its session changes were kept when they were not: each test is an app on the store over a real front end.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed class StoreBehaviourTests(StandaloneFrontEnd frontEnd) : IAsyncLifetime
{
    private readonly string _keys = RepositoryPaths.NewTempFolder("dp-keys");
    private readonly List<IAsyncDisposable> _apps = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_cookie_comes_only_with_a_value_under_the_configured_name_and_Secure_policy(bool viaUseSession)
    {
        const string name = ".Custom.Session";
        var app = viaUseSession
            ? await App(useSession: new SessionOptions { Cookie = { Name = name, SecurePolicy = CookieSecurePolicy.Always } })
            : await App(session: o => { o.Cookie.Name = name; o.Cookie.SecurePolicy = CookieSecurePolicy.Always; });
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.Address };

        using (var read = await http.GetAsync("/get/k")) Assert.False(read.Headers.Contains("Set-Cookie"), "a session without values set a cookie");
        using var set = await http.PostAsync("/set/k?value=v", null);
        set.EnsureSuccessStatusCode();
        var cookie = Assert.Single(set.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(name + "=", cookie, StringComparison.Ordinal);
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/get/k");
        again.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var answer = await http.SendAsync(again);
        Assert.Equal("v", await answer.Content.ReadAsStringAsync());
        Assert.False(answer.Headers.Contains("Set-Cookie"), "an existing session's cookie was set again");
        Assert.Empty(app.Warnings);
    }

    [Fact]
    public async Task Keys_are_case_sensitive_and_Remove_and_Clear_change_only_what_they_name()
    {
        var app = await App();
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/Key?value=upper");
        await browser.Post("/set/key?value=lower");
        Assert.Equal("upper", await browser.Get("/get/Key"));
        Assert.Equal("lower", await browser.Get("/get/key"));
        Assert.Equal("Key,key", await browser.Get("/keys"));
        await browser.Post("/remove/Key");
        Assert.Equal("key", await browser.Get("/keys"));
        await browser.Post("/remove/absent");
        await browser.Post("/clear");
        Assert.Equal("", await browser.Get("/keys"));
    }

    [Fact]
    public async Task A_session_expires_after_its_idle_timeout_and_each_request_slides_it()
    {
        // Margins a loaded machine keeps: each visit comes 2 s after the last, 4 s inside the idle timeout (with 1.5 s
        // against 3, a suite run once saw the session gone at a visit).
        var app = await App(session: o => o.IdleTimeout = TimeSpan.FromSeconds(6));
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/k?value=kept");
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(2)); // 10 s in all: kept only because every visit slides the timeout
            var value = await browser.Get("/get/k");
            Assert.True(value == "kept", $"visit {i + 1}: {value}; the app's warnings: {string.Join(" | ", app.Warnings)}");
        }
        await Task.Delay(TimeSpan.FromSeconds(9));
        Assert.Equal("(none)", await browser.Get("/get/k"));
    }

    [Fact]
    public async Task When_the_store_cannot_load_the_session_is_unavailable_with_an_empty_id_it_is_not_loaded_again_and_the_failure_is_logged()
    {
        var app = await App();
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/k?value=v");
        var sessionId = app.TokenIn(browser.Cookie!)![..22];

        await using var broken = await BrokenFrontEnd.Start();
        var brokenApp = await App(baseAddress: broken.Address);
        using var brokenBrowser = new AppClient(brokenApp.Address, browser.Cookie);
        var parts = (await brokenBrowser.Get("/availability")).Split('|');
        Assert.Equal(["False", "False", "", "(none)"], parts[..4]);
        Assert.Equal(1, broken.Requests); // one load, not one per access
        var logged = Assert.Single(brokenApp.Log, e => e.Category.Contains("SessionGrainsSession", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Contains(sessionId, logged.StateText, StringComparison.Ordinal);
        Assert.DoesNotContain("(null)", logged.StateText, StringComparison.Ordinal);

        var explicitLoad = await brokenBrowser.Get("/load");
        Assert.EndsWith("|False", explicitLoad, StringComparison.Ordinal);
        Assert.DoesNotContain("loaded", explicitLoad, StringComparison.Ordinal);
        Assert.Equal("v", await browser.Get("/get/k")); // the session itself is untouched
    }

    [Fact]
    public async Task LoadAsync_throws_when_cancelled_even_without_a_cookie_and_when_the_wait_for_the_lease_times_out()
    {
        var app = await App(session: o => o.IOTimeout = TimeSpan.FromSeconds(1));
        using var visitor = new AppClient(app.Address);
        Assert.StartsWith("OperationCanceledException", await visitor.Get("/load?cancelled=true"), StringComparison.Ordinal);

        using var browser = new AppClient(app.Address);
        await browser.Post("/set/k?value=v");
        var holder = browser.Send(HttpMethod.Post, "/slow-set/k?value=w&ms=4000");
        await Task.Delay(500);
        var clock = Stopwatch.StartNew();
        var load = await new AppClient(app.Address, browser.Cookie).Get("/load");
        Assert.StartsWith("OperationCanceledException: Timed out", load, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3.5), $"the load waited {clock.Elapsed} with a 1 s IO timeout");
        await holder;
        Assert.Equal("w", await browser.Get("/get/k"));
    }

    [Fact]
    public async Task A_commit_that_fails_before_the_response_starts_answers_503_and_one_after_it_leaves_the_response_and_is_logged_as_an_error()
    {
        // Between the app and the front end: loads pass, commits (lease releases) are refused once told to.
        await using var flaky = await FlakyFrontEnd.Start(frontEnd.BaseAddress);
        var app = await App(configure: o => o.LeaseTtl = TimeSpan.FromSeconds(1), baseAddress: flaky.Address);
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/k?value=first");

        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.Address };
        async Task<HttpResponseMessage> Send(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path);
            request.Headers.Add("Cookie", browser.Cookie);
            return await http.SendAsync(request);
        }
        flaky.FailCommits = true;

        // Before: the change cannot be stored, so the page answers 503 rather than "stored".
        using (var failed = await Send("/slow-set/k?value=slow&ms=0"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
            Assert.NotNull(failed.Headers.RetryAfter);
            Assert.Contains("session-store-unavailable", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.False(failed.Headers.Contains("Set-Cookie"));
        }

        // After: the response went out as it was; the refused commit is logged as an error.
        using (var sent = await Send("/late-set/k?value=late&ms=300"))
        {
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
            Assert.Equal("sent", await sent.Content.ReadAsStringAsync());
        }
        flaky.FailCommits = false;
        // Neither change was stored; the leases the failed releases left lapse after their second.
        Assert.Equal("first", await browser.Get("/get/k"));
        Assert.Contains(app.Log, e => e.Level == LogLevel.Error && e.Exception is SessionStoreException && e.StateText.Length > 0);
    }

    [Fact]
    public async Task A_request_keeps_its_lease_past_the_time_to_live_while_it_runs_and_a_lease_left_behind_lapses_within_it()
    {
        // A lease of 2 s and a page of 5 s: the page renews its lease while it runs, so the next request of the session
        // waits for it, sees its change, and both commits count. (With a lease of 1 s, a machine busy with the whole
        // suite once held a renewal, due after a third of a second, past the second.)
        var app = await App(configure: o => o.LeaseTtl = TimeSpan.FromSeconds(2));
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/k?value=a");
        var slow = browser.Send(HttpMethod.Post, "/append-slowly/k?value=b&ms=5000");
        await Task.Delay(300);
        Assert.Equal("abc", await new AppClient(app.Address, browser.Cookie).Post("/append-slowly/k?value=c&ms=0"));
        Assert.Equal("ab", await slow);
        Assert.Equal("abc", await browser.Get("/get/k"));

        // What an app server that died mid-request leaves: a lease that nobody renews or releases (here of 5 s; the
        // default is 30 s). The next request of the session, on another server, waits for that time and no longer.
        var ttl = TimeSpan.FromSeconds(5);
        var defaults = await App(configure: o => o.LeaseTtl = ttl);
        var token = defaults.TokenIn(browser.Cookie!)!;
        await defaults.Services.GetRequiredService<SessionGrains.Http.SessionGrainsClient>()
            .AcquireLeaseAsync(token, new SessionGrains.Http.LeaseRequest { LeaseId = "died-with-its-server", Ttl = ttl });
        var clock = Stopwatch.StartNew();
        Assert.Equal("abcd", await new AppClient(defaults.Address, browser.Cookie).Post("/append-slowly/k?value=d&ms=0"));
        Assert.True(clock.Elapsed < ttl + TimeSpan.FromSeconds(4), $"the next request waited {clock.Elapsed} for a lease of {ttl}");
        Assert.Empty(app.Warnings);
    }

    [Fact]
    public async Task A_request_the_client_aborts_still_commits_and_logs_nothing()
    {
        var app = await App();
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/k?value=1");
        using var impatient = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/set-then-work/k?value=2");
        request.Headers.Add("Cookie", browser.Cookie);
        using var gone = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.SendAsync(request, gone.Token));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Equal("2", await browser.Get("/get/k"));
        Assert.Empty(app.Warnings);
    }

    private async Task<SessionApp> App(Action<SessionOptions>? session = null, SessionOptions? useSession = null, Action<SessionGrainsOptions>? configure = null, Uri? baseAddress = null)
    {
        var app = await SessionApp.Start(_keys, services => services.AddSessionGrains(o =>
        {
            o.BaseAddress = baseAddress ?? frontEnd.BaseAddress;
            configure?.Invoke(o);
        }), session, useSession);
        _apps.Add(app);
        return app;
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
        Directory.Delete(_keys, recursive: true);
    }
}

/// <summary>A front end that answers every request 500, counting them: a store that cannot load.</summary>
public sealed class BrokenFrontEnd : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private BrokenFrontEnd(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<BrokenFrontEnd> Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var broken = new BrokenFrontEnd(app);
        app.Run(context =>
        {
            Interlocked.Increment(ref broken._requests);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        broken.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return broken;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
