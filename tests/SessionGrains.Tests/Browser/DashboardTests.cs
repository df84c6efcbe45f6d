using System.Globalization;
using Microsoft.Playwright;
using SessionGrains.Grains;
using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace SessionGrains.Tests.Browser;

/// <summary>The Orleans Dashboard, served by a front end of a 3-silo cluster behind the API key, in headless Chromium.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DashboardTests(LocalCluster cluster)
{
    private const int SessionsPerFrontEnd = 15;

    /// <summary>The page polls every second; the silos report their statistics every second.</summary>
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task The_dashboard_behind_the_API_key_lists_the_three_silos_and_the_session_grains_each_one_holds()
    {
        await using var browser = await Infrastructure.Browser.Launch();
        await using var context = await browser.NewContext(cluster.FrontEndUrls[0]);
        var page = await context.NewPageAsync();

        var anonymous = await page.GotoAsync("/dashboard/");
        Assert.Equal(401, anonymous!.Status);

        // A browser logs in once with ?key=; the cookie it gets carries on, and the key leaves the address bar.
        await page.GotoAsync($"/dashboard/?key={Uri.EscapeDataString(cluster.ApiKey)}#/silos");
        Assert.DoesNotContain("key=", page.Url, StringComparison.Ordinal);
        var activeSilos = Card(page, "Silo Health").Locator("tr", new() { HasText = "Active" });
        await Expect(activeSilos).ToHaveCountAsync(3, new() { Timeout = (float)Refresh.TotalMilliseconds });

        // The silos profile grain calls only while someone watches the dashboard, as now: these calls show.
        for (var frontEnd = 1; frontEnd <= cluster.FrontEndUrls.Count; frontEnd++)
        {
            using var http = cluster.CreateClient(frontEnd);
            var api = new SessionApi(http);
            // A session is activated by its first call after its creation.
            for (var i = 0; i < SessionsPerFrontEnd; i++) await api.Get((await api.Create()).Token);
        }

        await page.GotoAsync($"/dashboard/#/grain/{typeof(SessionGrain).FullName}");
        var silosWithSessions = await SilosHoldingSessions(page);
        Assert.True(silosWithSessions > 1, $"the dashboard shows session grains on {silosWithSessions} silo(s) only");
        // The method chart draws what the previous poll fetched: after two more polls it shows the calls above.
        for (var poll = 0; poll < 2; poll++)
            await page.WaitForResponseAsync(r => r.Url.Contains("/GrainStats/", StringComparison.Ordinal), new() { Timeout = (float)Refresh.TotalMilliseconds });
        await Infrastructure.Browser.Screenshot(page, "dashboard.png");
    }

    /// <summary>Rows of the "Activations by Silo" panel with at least one activation, once more than one shows (or the deadline passes).</summary>
    private static async Task<int> SilosHoldingSessions(IPage page)
    {
        var rows = Card(page, "Activations by Silo").Locator("tr", new() { Has = page.Locator("td") });
        var deadline = DateTime.UtcNow + Refresh;
        var holding = 0;
        while (holding <= 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            holding = 0;
            foreach (var activations in await rows.Locator("td:nth-child(2)").AllInnerTextsAsync())
            {
                if (int.TryParse(activations.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0) holding++;
            }
        }
        return holding;
    }

    private static ILocator Card(IPage page, string title) =>
        page.Locator(".card", new() { Has = page.Locator(".card-title", new() { HasText = title }) });
}
