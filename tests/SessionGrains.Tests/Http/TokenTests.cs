using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Http;

/// <summary>Forged, random and missing tokens are refused at the front end before any grain is touched.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class TokenTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private static readonly string[] Endpoints =
    [
        "GET /sessions/current", "DELETE /sessions/current", "GET /sessions/current/data/a", "PUT /sessions/current/data/a",
        "DELETE /sessions/current/data/a", "PATCH /sessions/current/data", "POST /sessions/current/counters/a/increment",
        "POST /sessions/current/rotate", "GET /sessions/current/placement",
    ];

    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    [Fact]
    public async Task Every_session_endpoint_answers_401_without_a_token()
    {
        foreach (var endpoint in Endpoints)
        {
            using var response = await Send(endpoint, token: null);
            await SessionApi.AssertProblem(response, HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task Forged_and_random_tokens_answer_401_and_never_activate_a_grain()
    {
        var genuine = await Api.Create("""{"data":{"a":1}}""");
        await Api.Get(genuine.Token);   // activated by its first call after its creation
        var forgedIds = Enumerable.Range(0, 20).Select(_ => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16))).ToList();
        var tokens = new List<string>();
        foreach (var id in forgedIds)
        {
            tokens.Add($"{id}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}");                         // random signature
            tokens.Add($"{id}.{Base64Url.EncodeToString(HMACSHA256.HashData(RandomNumberGenerator.GetBytes(32), Encoding.ASCII.GetBytes(id)))}"); // another key
            tokens.Add($"{id}{genuine.Token[22..]}");                                                                                  // a genuine signature of another id
        }
        // The last character of a 32-byte signature carries 2 bits; one with its unused bits set ('B') is malformed.
        tokens.Add(genuine.Token[..^1] + "B");
        tokens.AddRange(["", "garbage", genuine.Token + "x", genuine.Token[..^1] + (genuine.Token[^1] == 'A' ? 'B' : 'A'), genuine.Id, "a.b.c"]);

        var activeBefore = await frontEnd.ActiveSessionIds();
        Assert.Contains(genuine.Id, activeBefore);   // the activation query sees sessions, so what follows can fail
        foreach (var token in tokens)
        {
            foreach (var endpoint in Endpoints)
            {
                using var response = await Send(endpoint, token);
                await SessionApi.AssertProblem(response, HttpStatusCode.Unauthorized);
            }
        }

        var activeAfter = await frontEnd.ActiveSessionIds();
        Assert.DoesNotContain(forgedIds, activeAfter.Contains);
        Assert.Equal(activeBefore.Count, activeAfter.Count);
        Assert.Equal(1, (await Api.Get(genuine.Token)).GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task A_genuine_token_of_a_session_that_never_existed_answers_404_not_401()
    {
        // A genuine token is one the server signed; after deletion it must say "gone", not "forged".
        var session = await Api.Create();
        using (await Api.Send(HttpMethod.Delete, "/sessions/current", session.Token)) { }
        using var response = await Api.Send(HttpMethod.Get, "/sessions/current/data/a", session.Token);
        await SessionApi.AssertProblem(response, HttpStatusCode.NotFound);
    }

    private Task<HttpResponseMessage> Send(string endpoint, string? token)
    {
        var parts = endpoint.Split(' ');
        var content = parts[0] is "PUT" or "PATCH" ? SessionApi.Json("""{"a":2}""") : null;
        return Api.Send(new HttpMethod(parts[0]), parts[1], token, content);
    }

    public void Dispose() => _http.Dispose();
}
