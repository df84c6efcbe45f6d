using System.Net;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>
/// Cookies behind a TLS-terminating proxy, CSRF defence of cookie-authenticated writes, the standalone dashboard's
/// loopback rule and the standalone key files' permissions.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed class CookieSecurityTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);
    private string Origin => frontEnd.BaseAddress.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task Behind_a_trusted_TLS_terminating_proxy_the_session_cookie_is_Secure()
    {
        using var response = await _http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", "203.0.113.10", proto: "https"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);

        using var plain = await _http.PostAsync("/sessions", null);
        Assert.DoesNotContain("secure", Assert.Single(plain.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string, string?, string?> CrossSite => new()
    {
        // method, Origin, Sec-Fetch-Site
        { "PUT", null, null },
        { "PUT", "http://evil.example", null },
        { "PUT", "null", null },
        { "PATCH", "http://evil.example", "cross-site" },
        { "DELETE", null, "same-site" },
        { "POST", null, "cross-site" },
    };

    [Theory]
    [MemberData(nameof(CrossSite))]
    public async Task A_cookie_authenticated_write_from_another_site_answers_403_and_changes_nothing(string method, string? origin, string? fetchSite)
    {
        var session = await Api.Create("""{"data":{"a":1}}""");
        var path = method switch
        {
            "PUT" => "/sessions/current/data/a",
            "PATCH" => "/sessions/current/data",
            "POST" => "/sessions/current/counters/a/increment",
            _ => "/sessions/current",
        };
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method is "PUT" or "PATCH" ? SessionApi.Json(method == "PUT" ? "2" : """{"a":2}""") : null,
        };
        request.Headers.Add("Cookie", "sid=" + session.Token);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
        using var response = await _http.SendAsync(request);

        var problem = await SessionApi.AssertProblem(response, HttpStatusCode.Forbidden);
        Assert.Equal("urn:session-grains:problem:cross-site-request", problem.GetProperty("type").GetString());
        var after = await Api.Get(session.Token);
        Assert.Equal(1, after.GetProperty("version").GetInt64());
    }

    [Theory]
    [InlineData(true, null)]
    [InlineData(false, "same-origin")]
    [InlineData(false, "none")]
    public async Task A_cookie_authenticated_write_from_this_site_is_served(bool sendOrigin, string? fetchSite)
    {
        var session = await Api.Create("""{"data":{"a":1}}""");
        using var request = new HttpRequestMessage(HttpMethod.Put, "/sessions/current/data/a") { Content = SessionApi.Json("2") };
        request.Headers.Add("Cookie", "sid=" + session.Token);
        if (sendOrigin) request.Headers.Add("Origin", Origin);
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_bearer_token_write_needs_no_origin()
    {
        var session = await Api.Create("""{"data":{"a":1}}""");
        using var response = await Api.Send(HttpMethod.Put, "/sessions/current/data/a", session.Token, SessionApi.Json("2"),
            r => r.Headers.Add("Origin", "http://evil.example"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_standalone_dashboard_is_anonymous_only_from_this_machine()
    {
        using var local = await _http.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, local.StatusCode);

        using var remote = await _http.SendAsync(Forwarded.Request(HttpMethod.Get, "/dashboard/", "203.0.113.11"));
        await SessionApi.AssertProblem(remote, HttpStatusCode.Unauthorized);

        using var withKey = Forwarded.Request(HttpMethod.Get, "/dashboard/", "203.0.113.11");
        withKey.Headers.Add("X-Api-Key", frontEnd.ApiKey);
        using var trusted = await _http.SendAsync(withKey);
        Assert.Equal(HttpStatusCode.OK, trusted.StatusCode);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_standalone_key_files_are_the_owners_alone_in_a_folder_that_is_the_owners_alone()
    {
        var data = Path.Combine(frontEnd.ContentRoot, "data");
        const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(folder, File.GetUnixFileMode(data));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "signing-key")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "api-key")));
    }

    public void Dispose() => _http.Dispose();
}
