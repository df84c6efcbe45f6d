using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Http;

/// <summary>A front end whose sessions may make only 20 requests a second, to reach the limit quickly.</summary>
public sealed class SlowSessionFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Sessions:RequestsPerSecond"] = "20" };
}

public sealed class RateLimitTests(SlowSessionFrontEnd frontEnd) : IClassFixture<SlowSessionFrontEnd>
{
    [Fact]
    public async Task A_session_over_its_request_rate_gets_429_with_Retry_After_and_its_data_is_unchanged()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var session = await api.Create();

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 100 && limited is null; i++)
        {
            var response = await api.Send(HttpMethod.Post, "/sessions/current/counters/n/increment", session.Token);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
            else response.Dispose();
        }
        Assert.NotNull(limited);
        using (limited)
        {
            await SessionApi.AssertProblem(limited, HttpStatusCode.TooManyRequests);
            Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After is missing");
        }

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var after = await api.Get(session.Token);
        var counted = after.GetProperty("data").GetProperty("n").GetInt64();
        Assert.Equal(counted + 1, after.GetProperty("version").GetInt64());
    }
}
