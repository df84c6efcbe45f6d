using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>
/// Finding: 3,000 anonymous <c>POST /sessions</c> from one address in 26 s all answered 201, each free to carry ~1 MiB
/// and a 7-day idle timeout. Now creation is limited per client address and in total, requests without a credential
/// are limited per address, and an anonymous creator may ask for less than a trusted one.
/// </summary>
public sealed class AbuseLimitTests(LimitedFrontEnd frontEnd) : IClassFixture<LimitedFrontEnd>, IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();

    [Fact]
    public async Task Anonymous_creation_past_the_per_address_limit_answers_429_problem_with_Retry_After()
    {
        var client = Forwarded.NewClientAddress();
        for (var i = 0; i < LimitedFrontEnd.CreatesPerAddress; i++)
        {
            using var created = await _http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", client));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var limited = await _http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", client));
        var problem = await SessionApi.AssertProblem(limited, HttpStatusCode.TooManyRequests);
        Assert.Equal("urn:session-grains:problem:too-many-requests", problem.GetProperty("type").GetString());
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After is missing");
        Assert.False(limited.Headers.Contains("Set-Cookie"));

        // Another address is not held back by this one.
        using var other = await _http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", Forwarded.NewClientAddress()));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }

    [Fact]
    public async Task A_caller_with_the_API_key_is_not_limited_and_may_ask_for_more()
    {
        var client = Forwarded.NewClientAddress();
        var data = "{\"data\":{\"big\":\"" + new string('x', 40_000) + "\"},\"idleTimeoutSeconds\":86400}";
        for (var i = 0; i < LimitedFrontEnd.CreatesPerAddress * 2; i++)
        {
            using var request = Forwarded.Request(HttpMethod.Post, "/sessions", client, SessionApi.Json(data));
            request.Headers.Add("X-Api-Key", frontEnd.ApiKey);
            using var created = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
    }

    [Theory]
    [InlineData("{\"idleTimeoutSeconds\":7200}", HttpStatusCode.BadRequest)]
    [InlineData("{\"idleTimeoutSeconds\":604800}", HttpStatusCode.BadRequest)]
    [InlineData("{\"data\":{\"big\":\"BIG\"}}", HttpStatusCode.RequestEntityTooLarge)]
    public async Task An_anonymous_creator_may_not_ask_for_a_long_idle_timeout_or_much_data(string body, HttpStatusCode expected)
    {
        using var response = await _http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", Forwarded.NewClientAddress(),
            SessionApi.Json(body.Replace("BIG", new string('x', 17_000), StringComparison.Ordinal))));
        await SessionApi.AssertProblem(response, expected);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Requests_without_a_credential_are_limited_per_address_and_a_session_holder_is_not()
    {
        var client = Forwarded.NewClientAddress();
        using var created = await _http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", client));
        var token = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;

        HttpResponseMessage? limited = null;
        for (var i = 0; i <= LimitedFrontEnd.AnonymousPerAddress && limited is null; i++)
        {
            var response = await _http.SendAsync(Forwarded.Request(HttpMethod.Get, "/sessions/current", client));
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
            else
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                response.Dispose();
            }
        }
        Assert.NotNull(limited);
        using (limited)
        {
            await SessionApi.AssertProblem(limited, HttpStatusCode.TooManyRequests);
            Assert.NotNull(limited.Headers.RetryAfter);
        }

        using var request = Forwarded.Request(HttpMethod.Get, "/sessions/current", client);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var own = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task A_problem_detail_is_JSON_whatever_the_client_accepts()
    {
        using var request = Forwarded.Request(HttpMethod.Get, "/no/such/route", Forwarded.NewClientAddress());
        request.Headers.Add("Accept", "text/html");
        using var response = await _http.SendAsync(request);
        await SessionApi.AssertProblem(response, HttpStatusCode.NotFound);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The global limit holds however many addresses a flood comes from.</summary>
public sealed class GlobalLimitTests(GlobalLimitFrontEnd frontEnd) : IClassFixture<GlobalLimitFrontEnd>
{
    [Fact]
    public async Task Anonymous_creation_past_the_global_limit_answers_429_from_any_address()
    {
        using var http = frontEnd.CreateClient();
        for (var i = 0; i < GlobalLimitFrontEnd.CreatesInTotal; i++)
        {
            using var created = await http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", Forwarded.NewClientAddress()));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var limited = await http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", Forwarded.NewClientAddress()));
        await SessionApi.AssertProblem(limited, HttpStatusCode.TooManyRequests);

        using var trusted = Forwarded.Request(HttpMethod.Post, "/sessions", Forwarded.NewClientAddress());
        trusted.Headers.Add("X-Api-Key", frontEnd.ApiKey);
        using var allowed = await http.SendAsync(trusted);
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
    }
}

/// <summary>Forwarded headers count only from trusted proxies: a client cannot pick the address it is limited by.</summary>
public sealed class UntrustedForwardingTests(NoTrustedProxyFrontEnd frontEnd) : IClassFixture<NoTrustedProxyFrontEnd>
{
    [Fact]
    public async Task X_Forwarded_For_from_an_untrusted_peer_does_not_escape_the_per_address_limit()
    {
        using var http = frontEnd.CreateClient();
        for (var i = 0; i < NoTrustedProxyFrontEnd.CreatesPerAddress; i++)
        {
            using var created = await http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", Forwarded.NewClientAddress(), proto: "https"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            // Nor can it make plain HTTP look like HTTPS.
            Assert.DoesNotContain("secure", Assert.Single(created.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
        }
        using var limited = await http.SendAsync(Forwarded.Request(HttpMethod.Post, "/sessions", Forwarded.NewClientAddress(), proto: "https"));
        await SessionApi.AssertProblem(limited, HttpStatusCode.TooManyRequests);
    }
}
