using System.Diagnostics;
using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Observability;

public sealed class TelemetryTests(TracedFrontEnd frontEnd, ITestOutputHelper output) : IClassFixture<TracedFrontEnd>
{
    [Fact]
    public async Task One_request_yields_one_trace_from_the_front_end_through_the_grain_call_to_storage()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var session = await api.Create();
        using var put = await api.Send(HttpMethod.Put, "/sessions/current/data/traced", session.Token, SessionApi.Json("1"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        Activity? request = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<Activity> trace = [];
        while (DateTime.UtcNow < deadline)
        {
            lock (frontEnd.Spans)
            {
                request = frontEnd.Spans.FirstOrDefault(a => a.Kind == ActivityKind.Server && a.DisplayName.Contains("/sessions/current/data/{key}"));
                if (request is not null) trace = frontEnd.Spans.Where(a => a.TraceId == request.TraceId).ToList();
            }
            if (trace.Any(a => a.Source.Name.Contains("Storage", StringComparison.OrdinalIgnoreCase)) && trace.Any(a => a.Kind == ActivityKind.Client)) break;
            await Task.Delay(200);
        }

        Assert.NotNull(request);
        foreach (var span in trace) output.WriteLine($"{span.Source.Name} {span.Kind} {span.DisplayName} {span.Duration.TotalMilliseconds:F2} ms");
        Assert.Contains(trace, a => a.Source.Name == "Microsoft.AspNetCore" && a.Kind == ActivityKind.Server);
        Assert.Contains(trace, a => a.Kind == ActivityKind.Client && a.DisplayName.Contains("ISessionGrain", StringComparison.Ordinal));
        Assert.Contains(trace, a => a.Kind == ActivityKind.Server && a.DisplayName.Contains("ISessionGrain", StringComparison.Ordinal));
        Assert.Contains(trace, a => a.Source.Name.Contains("Storage", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_metrics_endpoint_serves_the_SessionGrains_meter_as_Prometheus_text()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var session = await api.Create();
        await api.Get(session.Token);

        string text = "";
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && !text.Contains("sessiongrains_sessions_created", StringComparison.Ordinal))
        {
            using var response = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync();
            await Task.Delay(500);
        }
        foreach (var metric in new[] { "sessiongrains_sessions_created", "sessiongrains_sessions_active", "http_server_request_duration" })
        {
            Assert.Contains(metric, text);
        }
        // Requests are counted per route by ASP.NET Core's own instrument (the service keeps no per-call counter of its own).
        Assert.Contains("http_route=\"/sessions/current/\"", text);
    }
}
