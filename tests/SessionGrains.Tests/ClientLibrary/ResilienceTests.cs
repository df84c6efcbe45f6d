using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SessionGrains.Http;
using Xunit;

namespace SessionGrains.Tests.ClientLibrary;

/// <summary>What the client retries, with which key and after how long: a scripted server answer by answer.</summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task A_503_is_retried_after_its_Retry_After_with_the_same_idempotency_key()
    {
        var server = new ScriptedHandler(
            Answer(HttpStatusCode.ServiceUnavailable, """{"type":"urn:session-grains:problem:unavailable","title":"Unavailable","status":503}""", retryAfter: 1),
            Answer(HttpStatusCode.OK, """{"value":3,"version":4}"""));
        using var services = HttpClientTests.Services(new Uri("http://127.0.0.1:9/"), b => b.ConfigurePrimaryHttpMessageHandler(() => server));
        var client = services.GetRequiredService<SessionGrainsClient>();

        var clock = Stopwatch.StartNew();
        Assert.Equal(new CounterValue(3, 4), await client.IncrementAsync("token", "n"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {clock.Elapsed}, before Retry-After");
        Assert.Equal(2, server.Keys.Count);
        Assert.Single(server.Keys.Distinct());
        Assert.StartsWith("c:", server.Keys.First());
    }

    [Fact]
    public async Task A_500_or_a_4xx_is_not_retried_and_arrives_as_its_problem()
    {
        var server = new ScriptedHandler(
            Answer(HttpStatusCode.InternalServerError, """{"type":"urn:session-grains:problem:internal","title":"Internal","status":500,"detail":"boom"}"""),
            Answer(HttpStatusCode.PreconditionFailed, """{"type":"urn:session-grains:problem:version-mismatch","title":"x","status":412}"""));
        using var services = HttpClientTests.Services(new Uri("http://127.0.0.1:9/"), b => b.ConfigurePrimaryHttpMessageHandler(() => server));
        var client = services.GetRequiredService<SessionGrainsClient>();

        var failure = await Assert.ThrowsAsync<SessionGrainsException>(() => client.PutAsync("token", "k", 1));
        Assert.Equal("internal", failure.ProblemName);
        Assert.Equal("boom", failure.Detail);
        await Assert.ThrowsAsync<VersionMismatchException>(() => client.PutAsync("token", "k", 1, new WriteOptions { IfMatch = 3, IdempotencyKey = "mine" }));
        Assert.Equal(2, server.Keys.Count);
        Assert.Equal("mine", server.Keys.Last());
    }

    [Fact]
    public async Task A_transport_failure_is_retried_and_a_rate_limit_reports_its_wait()
    {
        var server = new ScriptedHandler(
            _ => throw new HttpRequestException("connection reset"),
            Answer(HttpStatusCode.TooManyRequests, """{"type":"urn:session-grains:problem:rate-limited","title":"x","status":429}""", retryAfter: 0),
            Answer(HttpStatusCode.TooManyRequests, """{"type":"urn:session-grains:problem:rate-limited","title":"x","status":429}""", retryAfter: 0),
            Answer(HttpStatusCode.TooManyRequests, """{"type":"urn:session-grains:problem:rate-limited","title":"x","status":429}""", retryAfter: 2));
        using var services = HttpClientTests.Services(new Uri("http://127.0.0.1:9/"), b => b.ConfigurePrimaryHttpMessageHandler(() => server));
        var client = services.GetRequiredService<SessionGrainsClient>();

        var limited = await Assert.ThrowsAsync<RateLimitedException>(() => client.RemoveAsync("token", "k"));
        Assert.Equal(TimeSpan.FromSeconds(2), limited.RetryAfter);
        Assert.Equal(4, server.Keys.Count);
        Assert.Single(server.Keys.Distinct());
    }

    private static Func<HttpRequestMessage, HttpResponseMessage> Answer(HttpStatusCode status, string problem, int? retryAfter = null) => _ =>
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(problem, Encoding.UTF8, status < HttpStatusCode.BadRequest ? "application/json" : "application/problem+json") };
        if (retryAfter is { } seconds) response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        return response;
    };

    /// <summary>Answers each request with the next scripted answer and records its Idempotency-Key.</summary>
    private sealed class ScriptedHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        private int _next;

        public ConcurrentQueue<string> Keys { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Keys.Enqueue(request.Headers.TryGetValues("Idempotency-Key", out var values) ? values.Single() : "(none)");
            return Task.FromResult(answers[Math.Min(_next++, answers.Length - 1)](request));
        }
    }
}
