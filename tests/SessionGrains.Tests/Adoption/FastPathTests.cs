using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using SessionGrains.AspNetCore;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Adoption;

/// <summary>
/// The store as an Orleans client of the cluster (issue 19, part 3) beside the HTTP mode, and read-only pages (part 4):
/// an app in this process on a loopback port, the standalone front end's co-hosted silo reached through its gateway, a
/// cluster-mode silo on a real redis-server restarted under the app.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed class FastPathTests(StandaloneFrontEnd frontEnd, ITestOutputHelper output) : IDisposable
{
    private readonly string _keys = RepositoryPaths.NewTempFolder("dp-keys");

    private Action<SessionGrainsOptions> Mode(string mode) => mode == "cluster"
        ? o => FastPath.Configure(o, frontEnd)
        : o => o.BaseAddress = frontEnd.BaseAddress;

    [Fact]
    public async Task A_session_the_fast_path_created_is_the_front_ends_session_with_its_signed_token()
    {
        await using var app = await SessionApp.Start(_keys, services => services.AddSessionGrains(Mode("cluster")));
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/cart%20items?value=book");
        Assert.Equal("book", await browser.Get("/get/cart%20items"));
        // Base64 with a '+' ("~~~" is "fn5+"), which the session's JSON holds escaped, reads back as it was written.
        await browser.Post("/set/tilde?value=%7E%7E%7E");
        Assert.Equal("~~~", await browser.Get("/get/tilde"));

        // The cookie holds a token the front end accepts: signed with its key, naming a session it serves.
        var token = app.TokenIn(browser.Cookie!)!;
        using var api = frontEnd.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions/current/data/s:cart:20items");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"\"{Convert.ToBase64String("book"u8.ToArray())}\"", await response.Content.ReadAsStringAsync());

        // A value the HTTP API wrote is read by the fast path; a forged token starts a new session instead.
        using var put = new HttpRequestMessage(HttpMethod.Put, "/sessions/current/data/s:theme") { Content = new StringContent($"\"{Convert.ToBase64String("dark"u8.ToArray())}\"", System.Text.Encoding.UTF8, "application/json") };
        put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await api.SendAsync(put)).EnsureSuccessStatusCode();
        Assert.Equal("dark", await browser.Get("/get/theme"));
    }

    [Fact]
    public async Task The_fast_paths_cookie_holds_a_reference_the_session_middleware_keeps_and_an_older_token_cookie_still_works()
    {
        await using var app = await SessionApp.Start(_keys, services => services.AddSessionGrains(Mode("cluster")));
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/cart?value=book");
        var first = browser.Cookie!;

        // 36 characters, as the middleware's own keys: it takes the cookie as its session key and sets no new one.
        var content = app.ContentOf(first);
        Assert.True(SessionCookie.IsReference(content), $"the cookie holds '{content}', not a reference");
        Assert.Equal(36, content!.Length);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.Address };
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/set/cart?value=pen"))
        {
            request.Headers.Add("Cookie", first);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"), "a session that exists got a new cookie");
        }
        Assert.Equal("pen", await browser.Get("/get/cart"));

        // A cookie holding the session's token (as cookies set over HTTP, or by earlier versions, do) names the same session.
        var token = app.TokenIn(first)!;
        var cookie = app.Services.GetRequiredService<SessionCookie>().ProtectForCookie(token);
        using var older = new AppClient(app.Address, first[..(first.IndexOf('=') + 1)] + cookie);
        Assert.Equal("pen", await older.Get("/get/cart"));

        // A reference to a session that does not exist is a new session, not an error.
        var unknown = app.Services.GetRequiredService<SessionCookie>().ProtectForCookie(SessionCookie.Reference(SessionGrains.Direct.SessionTokens.NewId()));
        using var stranger = new AppClient(app.Address, first[..(first.IndexOf('=') + 1)] + unknown);
        Assert.Equal("(none)", await stranger.Get("/get/cart"));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("cluster")]
    public async Task A_read_only_page_does_not_wait_behind_a_held_lease_and_refuses_writes(string mode)
    {
        await using var app = await SessionApp.Start(_keys, services => services.AddSessionGrains(Mode(mode)));
        using var browser = new AppClient(app.Address);
        await browser.Post("/set/log?value=a");

        // A leased request holds the session's lease for 4 s.
        var hold = TimeSpan.FromSeconds(4);
        using var slowClient = new AppClient(app.Address, browser.Cookie);
        var clock = Stopwatch.StartNew();
        var slow = slowClient.Post($"/append-slowly/log?value=b&ms={hold.TotalMilliseconds}");
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        // A read-only page answers at once with what was committed; a leased read waits for the lease and sees the append.
        using var reader = new AppClient(app.Address, browser.Cookie);
        using var leasedReader = new AppClient(app.Address, browser.Cookie);
        var leased = leasedReader.Get("/get/log");
        var peekClock = Stopwatch.StartNew();
        Assert.Equal("a", await reader.Get("/peek/log"));
        var peek = peekClock.Elapsed;
        Assert.False(slow.IsCompleted, $"the slow request ended before the read-only page answered ({clock.Elapsed})");
        Assert.True(peek < TimeSpan.FromSeconds(2), $"the read-only page waited {peek.TotalMilliseconds:F0} ms");
        Assert.Equal("ab", await leased);
        Assert.True(clock.Elapsed >= hold, $"the leased read answered after {clock.Elapsed}, before the lease went back");
        Assert.Equal("ab", await slow);
        output.WriteLine($"{mode}: read-only page {peek.TotalMilliseconds:F0} ms while the lease was held; leased read after {clock.Elapsed.TotalMilliseconds:F0} ms");

        // A write on a read-only page fails the request; nothing is stored.
        await reader.Send(HttpMethod.Post, "/peek-set/log?value=lost", HttpStatusCode.InternalServerError);
        Assert.Equal("ab", await reader.Get("/get/log"));
    }

    [Fact]
    public async Task Sessions_survive_a_silo_restart_under_an_app_on_the_cluster_fast_path()
    {
        await using var redis = await RedisServer.Start("everysec", CancellationToken.None);
        var (clusterId, serviceId) = ($"fast-{Guid.NewGuid():N}", $"fast-{Guid.NewGuid():N}");
        var silo = await RedisSilo.Start(redis, "fast", clusterId, serviceId);
        var signingKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        try
        {
            await using var app = await SessionApp.Start(_keys, services => services.AddSessionGrains(o =>
            {
                o.UseCluster(redis.ConnectionString, clusterId, serviceId);
                o.SigningKey = signingKey;
            }));
            using var browser = new AppClient(app.Address);
            await browser.Post("/set/cart?value=book");

            await silo.StopAsync();
            silo.Dispose();
            silo = await RedisSilo.Start(redis, "fast", clusterId, serviceId);

            // Until the app's client has found the new silo, the session cannot load (unavailable: reads find nothing, as with
            // the built-in provider when its cache is down); then it is all there.
            var clock = Stopwatch.StartNew();
            string? value = null;
            while (value is null && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                using var http = new HttpClient();
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(app.Address, "/get/cart"));
                request.Headers.Add("Cookie", browser.Cookie!);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK && body != "(none)") value = body;
                else await Task.Delay(250);
            }
            output.WriteLine($"served again {clock.Elapsed.TotalSeconds:F1} s after the new silo started");
            Assert.True(value == "book", $"the session read {value ?? "nothing"} within 60 s of the restart");
            await browser.Post("/set/cart?value=pen");
            Assert.Equal("pen", await browser.Get("/get/cart"));
        }
        finally
        {
            await silo.StopAsync();
            silo.Dispose();
        }
    }

    public void Dispose() => Directory.Delete(_keys, recursive: true);
}
