using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SessionGrains.AspNetCore;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Adoption;

/// <summary>A standalone front end with its default abuse limits (30 anonymous creations a minute per address, etc.).</summary>
public sealed class DefaultLimitsFrontEnd : StandaloneFrontEnd
{
    protected override bool AbuseLimits => true;
}

/// <summary>
/// New visitors of an app on the store, whose sessions are all created from the app's one address, against a front end
/// with its default abuse limits: with the API key every visitor keeps its session promptly; without it, a visitor
/// past the anonymous limit gets a prompt 503, never a 200 whose session was dropped.
/// </summary>
public sealed class NewVisitorTests(DefaultLimitsFrontEnd frontEnd, ITestOutputHelper output) : IClassFixture<DefaultLimitsFrontEnd>
{
    /// <summary>The target is 1 s; the margin is for a shared 2-core machine.</summary>
    private static readonly TimeSpan Slowest = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Sixty_new_visitors_at_once_and_two_hundred_one_after_another_each_keep_their_session_in_the_shop()
    {
        // The store's default options: only where the front end is and the app's API key.
        await using var shop = await ShopProcess.Start("shop-visitors", ("Session:Mode", "Http"), ("Session:SessionGrains", frontEnd.BaseAddress.ToString()), ("Session:ApiKey", frontEnd.ApiKey));
        using var http = shop.Client();
        await ShopProcess.Get(http, "/healthz", null);

        async Task<(string Cookie, TimeSpan Waited)> NewVisitor()
        {
            var clock = Stopwatch.StartNew();
            var (body, cookie) = await ShopProcess.Get(http, "/visits", null);
            var waited = clock.Elapsed;
            Assert.Equal("1", body);
            Assert.NotNull(cookie);
            return (cookie, waited);
        }

        var together = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => NewVisitor()));
        var oneByOne = new List<(string Cookie, TimeSpan Waited)>();
        for (var i = 0; i < 200; i++) oneByOne.Add(await NewVisitor());

        // Every visitor's stored visit is there at its second visit.
        foreach (var (cookie, _) in together.Concat(oneByOne)) Assert.Equal("2", (await ShopProcess.Get(http, "/visits", cookie)).Body);
        output.WriteLine($"60 at once: slowest {Max(together):F0} ms, median {Median(together):F0} ms; 200 one after another: slowest {Max(oneByOne):F0} ms, median {Median(oneByOne):F0} ms");
        Assert.All(together.Concat(oneByOne), visitor => Assert.True(visitor.Waited < Slowest, $"a new visitor waited {visitor.Waited}"));
    }

    [Fact]
    public async Task Without_the_API_key_a_visitor_past_the_anonymous_limit_gets_a_prompt_503_and_never_a_200_without_its_session()
    {
        var keys = RepositoryPaths.NewTempFolder("dp-keys");
        try
        {
            await using var app = await SessionApp.Start(keys, services => services.AddSessionGrains(o => o.BaseAddress = frontEnd.BaseAddress));
            using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(60) };
            int stored = 0, refused = 0;
            for (var i = 0; i < 45; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await http.PostAsync($"/set/k?value=v{i}", null);
                Assert.True(clock.Elapsed < Slowest, $"visitor {i} waited {clock.Elapsed}");
                var cookie = ShopProcess.SessionCookie(response);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Assert.NotNull(cookie);
                    using var browser = new AppClient(app.Address, cookie);
                    Assert.Equal($"v{i}", await browser.Get("/get/k"));
                    stored++;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    Assert.Null(cookie);
                    Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "no Retry-After");
                    refused++;
                }
            }
            output.WriteLine($"anonymous store: {stored} stored, {refused} refused with 503");
            Assert.InRange(stored, 30, 40);
            Assert.True(refused > 0);
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }

    private static double Max(IEnumerable<(string, TimeSpan Waited)> visitors) => visitors.Max(v => v.Waited.TotalMilliseconds);

    private static double Median(IEnumerable<(string, TimeSpan Waited)> visitors)
    {
        var sorted = visitors.Select(v => v.Waited.TotalMilliseconds).Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
