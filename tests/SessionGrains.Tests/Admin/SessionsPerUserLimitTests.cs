using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Admin;

public sealed class SessionsPerUserLimitTests(TwoSessionsPerUserFrontEnd frontEnd) : IClassFixture<TwoSessionsPerUserFrontEnd>
{
    [Fact]
    public async Task Creating_a_session_past_the_per_user_limit_evicts_the_oldest()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var oldest = await api.Create("""{"userId":"ada"}""", frontEnd.ApiKey);
        var middle = await api.Create("""{"userId":"ada"}""", frontEnd.ApiKey);
        var newest = await api.Create("""{"userId":"ada"}""", frontEnd.ApiKey);

        using var evicted = await api.Send(HttpMethod.Get, "/sessions/current", oldest.Token);
        await SessionApi.AssertProblem(evicted, HttpStatusCode.NotFound);
        await api.Get(middle.Token);
        await api.Get(newest.Token);
    }
}
