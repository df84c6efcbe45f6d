using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Standalone;

/// <summary>
/// A gateway's calls to session grains active in its own process skip Orleans' messaging (<see cref="LocalSessionGrains"/>).
/// Orleans does not know of such calls, so these tests collect the session's activation while they run: nothing
/// acknowledged may be lost or applied twice, and the calls must keep working on the next activation.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed class LocalCallTests(StandaloneFrontEnd frontEnd) : IDisposable
{
    private readonly HttpClient _http = frontEnd.CreateClient();
    private SessionApi Api => new(_http);

    private LocalSessionGrains Local => frontEnd.Services.GetRequiredService<LocalSessionGrains>();

    [Fact]
    public async Task An_active_session_is_listed_for_the_gateway_of_its_process_and_unlisted_when_collected()
    {
        var session = await Api.Create("""{"data":{"n":1}}""");
        using (var read = await Api.Send(HttpMethod.Get, "/sessions/current/data/n", session.Token))
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.True(Local.TryGet(session.Id, out _));

        await frontEnd.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.False(Local.TryGet(session.Id, out _));

        using var again = await Api.Send(HttpMethod.Get, "/sessions/current/data/n", session.Token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("1", await again.Content.ReadAsStringAsync());
        Assert.True(Local.TryGet(session.Id, out _));
    }

    [Fact]
    public async Task Increments_while_the_activation_is_collected_again_and_again_lose_nothing_and_apply_nothing_twice()
    {
        var session = await Api.Create("""{"data":{"n":0}}""");
        using (var first = await Api.Send(HttpMethod.Post, "/sessions/current/counters/n/increment", session.Token))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(Local.TryGet(session.Id, out var firstActivation));

        using var stop = new CancellationTokenSource();
        var management = frontEnd.Grains.GetGrain<IManagementGrain>(0);
        var collector = Task.Run(async () =>
        {
            var activations = new HashSet<ILocalSessionGrain>(ReferenceEqualityComparer.Instance);
            while (!stop.IsCancellationRequested)
            {
                if (Local.TryGet(session.Id, out var current)) activations.Add(current);
                await management.ForceActivationCollection(TimeSpan.Zero);
                await Task.Delay(5);
            }
            return activations.Count;
        });

        const int Workers = 8, Each = 40;
        var statuses = await Task.WhenAll(Enumerable.Range(0, Workers).Select(async _ =>
        {
            var codes = new List<HttpStatusCode>();
            for (var i = 0; i < Each; i++)
            {
                using var response = await Api.Send(HttpMethod.Post, "/sessions/current/counters/n/increment", session.Token);
                codes.Add(response.StatusCode);
            }
            return codes;
        }));
        await stop.CancelAsync();
        var activationsSeen = await collector;

        var acknowledged = statuses.SelectMany(codes => codes).Count(code => code == HttpStatusCode.OK);
        Assert.Equal(Workers * Each, acknowledged);
        using var read = await Api.Send(HttpMethod.Get, "/sessions/current/data/n", session.Token);
        Assert.Equal((1 + acknowledged).ToString(System.Globalization.CultureInfo.InvariantCulture), await read.Content.ReadAsStringAsync());
        // The collector did take the activation away while the increments ran (a new one served the rest).
        Assert.True(activationsSeen > 1 || Local.TryGet(session.Id, out var last) && !ReferenceEquals(last, firstActivation),
            "the session's activation was never collected during the run");
    }

    public void Dispose() => _http.Dispose();
}
