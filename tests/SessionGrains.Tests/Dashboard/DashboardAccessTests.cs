using System.Net;
using System.Text.Json;
using SessionGrains.Tests.Cluster;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Dashboard;

/// <summary>In cluster mode the dashboard at /dashboard is never anonymous: the API key, or the cookie a login with it sets.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DashboardAccessTests(LocalCluster cluster)
{
    private static readonly string[] Paths =
    [
        "/dashboard", "/dashboard/", "/dashboard/index.min.js", "/dashboard/DashboardCounters", "/dashboard/ClusterStats",
        "/dashboard/GrainState?grainId=x&grainType=y", "/dashboard/Trace",
    ];

    [Fact]
    public async Task Every_dashboard_path_answers_401_without_the_API_key()
    {
        using var http = cluster.CreateClient(1);
        foreach (var path in Paths)
        {
            foreach (var key in new string?[] { null, "", "wrong", cluster.ApiKey + "x" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (key is not null) request.Headers.Add("X-Api-Key", key);
                using var response = await http.SendAsync(request);
                await SessionApi.AssertProblem(response, HttpStatusCode.Unauthorized);
            }
            using var forged = new HttpRequestMessage(HttpMethod.Get, path);
            forged.Headers.Add("Cookie", "sg_dashboard=9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
            using var refused = await http.SendAsync(forged);
            await SessionApi.AssertProblem(refused, HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task With_the_API_key_in_X_Api_Key_the_dashboard_shows_the_three_active_silos()
    {
        using var http = cluster.CreateClient(2);
        // The dashboard computes its counters at most once a second: the first answer may list no silo yet.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var active = await ActiveSilos(http);
        while (active != 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            active = await ActiveSilos(http);
        }

        Assert.Equal(3, active);
    }

    [Fact]
    public async Task A_login_with_the_key_sets_an_HttpOnly_cookie_that_both_front_ends_accept_and_drops_the_key_from_the_URL()
    {
        using var http1 = WithoutRedirects(1);
        using var http2 = WithoutRedirects(2);

        using var login = await http1.GetAsync($"/dashboard/?key={Uri.EscapeDataString(cluster.ApiKey)}");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/dashboard/", login.Headers.Location?.OriginalString);
        Assert.True(login.Headers.CacheControl?.NoStore);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("sg_dashboard=", setCookie, StringComparison.Ordinal);
        foreach (var attribute in new[] { "httponly", "path=/dashboard", "samesite=lax" })
            Assert.Contains(attribute, setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = setCookie.Split(';')[0];
        foreach (var http in new[] { http1, http2 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/ClusterStats");
            request.Headers.Add("Cookie", cookie);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_login_with_a_wrong_key_answers_401_and_sets_no_cookie()
    {
        using var http = cluster.CreateClient(1);

        using var login = await http.GetAsync("/dashboard/?key=wrong");

        await SessionApi.AssertProblem(login, HttpStatusCode.Unauthorized);
        Assert.False(login.Headers.Contains("Set-Cookie"));
    }

    /// <summary>A client that shows the login's redirect instead of following it (and keeps no cookies).</summary>
    private HttpClient WithoutRedirects(int frontEnd) =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = cluster.FrontEndUrls[frontEnd - 1], Timeout = TimeSpan.FromSeconds(30) };

    private async Task<int> ActiveSilos(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/DashboardCounters");
        request.Headers.Add("X-Api-Key", cluster.ApiKey);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hosts = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("hosts");
        return hosts.EnumerateArray().Count(h => h.GetProperty("status").GetString() == "Active");
    }
}
