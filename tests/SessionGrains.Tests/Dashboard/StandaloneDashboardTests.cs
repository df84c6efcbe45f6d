using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Dashboard;

/// <summary>In standalone mode (one machine, the co-hosted silo) the dashboard is open without a key.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class StandaloneDashboardTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();

    [Fact]
    public async Task The_dashboard_is_anonymous_and_shows_the_co_hosted_silo()
    {
        using var page = await _http.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans Dashboard", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var hosts = await Hosts();
        Assert.Equal("Active", Assert.Single(hosts).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_silos_counters_leave_out_the_readings_that_walk_every_session_and_the_instruments_recorded_per_call()
    {
        var silo = Assert.Single(await Hosts()).GetProperty("siloAddress").GetString();
        // Calls and an activation to count; the feed reads once a second.
        using (var created = await _http.PostAsync("/sessions", new StringContent("{}", System.Text.Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        HashSet<string> names;
        do
        {
            await Task.Delay(300);
            using var counters = await _http.GetAsync($"/dashboard/SiloCounters/{silo}");
            Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
            names = JsonDocument.Parse(await counters.Content.ReadAsStringAsync()).RootElement.EnumerateArray()
                .Select(c => c.GetProperty("name").GetString()!).ToHashSet();
        }
        while (!names.Contains("orleans-catalog-activations") && DateTime.UtcNow < deadline);

        Assert.Contains("orleans-catalog-activations", names);
        Assert.Contains("orleans-messaging-processing-dispatcher-received", names);
        // Orleans' own feed reads these two by walking every activation and every directory cache entry, each second.
        Assert.DoesNotContain("orleans-messaging-processing-activation-data", names);
        Assert.DoesNotContain("orleans-directory-cache-size", names);
        // ...and records this one on every grain call.
        Assert.DoesNotContain("orleans-app-requests-latency", names);
    }

    [Fact]
    public async Task The_dashboard_is_not_part_of_the_OpenAPI_document()
    {
        var document = await _http.GetStringAsync("/openapi/v1.json");
        Assert.DoesNotContain("/dashboard", document, StringComparison.Ordinal);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The silos the dashboard lists; its counters are computed at most once a second, so the first answer may list none yet.</summary>
    private async Task<List<JsonElement>> Hosts()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            using var counters = await _http.GetAsync("/dashboard/DashboardCounters");
            Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
            var hosts = JsonDocument.Parse(await counters.Content.ReadAsStringAsync()).RootElement.GetProperty("hosts").EnumerateArray().Select(h => h.Clone()).ToList();
            if (hosts.Count > 0 || DateTime.UtcNow > deadline) return hosts;
            await Task.Delay(200);
        }
    }
}
