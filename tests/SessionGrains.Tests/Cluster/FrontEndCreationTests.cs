using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SessionGrains.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Cluster;

/// <summary>
/// A split cluster's front end stores a new session in Redis itself: the silos do nothing for a creation, and the
/// session's first call, through any front end, activates it on its home silo and reads what the front end wrote.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class FrontEndCreationTests(LocalCluster cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task The_front_end_stores_new_sessions_and_their_first_call_through_the_other_front_end_reads_them()
    {
        using var http1 = cluster.CreateClient(1);
        using var http2 = cluster.CreateClient(2);
        var creating = new SessionApi(http1);
        var reading = new SessionApi(http2);
        await cluster.WaitReady();
        var silosBefore = await SilosCreated();
        var frontEndBefore = await Created(cluster.FrontEndUrls[0]);

        const int count = 20;
        var sessions = new List<CreatedSession>();
        for (var i = 0; i < count; i++) sessions.Add(await creating.Create($"{{\"data\":{{\"cart\":[\"book-{i}\"]}}}}"));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.RedisConnectionString);
        foreach (var session in sessions)
        {
            var key = $"{cluster.ServiceId}/session/{{{session.Id}}}";
            Assert.True(await redis.GetDatabase().KeyExistsAsync(key), $"no record at {key}");
        }
        // Counted where it happened: the front end's meter, not a silo's.
        var frontEndCreated = await WaitForCount(cluster.FrontEndUrls[0], frontEndBefore + count);
        var silosCreated = await SilosCreated();
        output.WriteLine($"created: front end 1 {frontEndBefore} -> {frontEndCreated}; silos {silosBefore} -> {silosCreated}");
        Assert.Equal(frontEndBefore + count, frontEndCreated);
        Assert.Equal(silosBefore, silosCreated);

        for (var i = 0; i < count; i++)
        {
            var view = await reading.Get(sessions[i].Token);
            Assert.Equal($"book-{i}", view.GetProperty("data").GetProperty("cart")[0].GetString());
            Assert.Equal(1, view.GetProperty("version").GetInt64());
        }
    }

    [Fact]
    public async Task A_creation_for_a_user_goes_through_the_grain_and_is_listed_for_the_user()
    {
        using var http = cluster.CreateClient(1);
        var api = new SessionApi(http);
        var user = "user-" + Guid.NewGuid().ToString("N");

        var session = await api.Create($"{{\"userId\":\"{user}\",\"data\":{{\"a\":1}}}}", cluster.ApiKey);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/admin/users/{user}/sessions");
        request.Headers.Add("X-Api-Key", cluster.ApiKey);
        using var listed = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Contains(session.Id, await listed.Content.ReadAsStringAsync());
    }

    private async Task<long> SilosCreated()
    {
        long total = 0;
        for (var n = 1; n <= cluster.RunningSiloSlots; n++) total += await Created(cluster.SiloHttpUrl(n));
        return total;
    }

    private static async Task<long> WaitForCount(Uri process, long wanted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        long seen;
        while ((seen = await Created(process)) < wanted && DateTime.UtcNow < deadline) await Task.Delay(250);
        return seen;
    }

    /// <summary>The process' <c>sessiongrains.sessions.created</c> counter (0 before its first creation).</summary>
    private static async Task<long> Created(Uri process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await http.GetStringAsync(new Uri(process, "/metrics"));
        return CreatedCount().Matches(text).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^sessiongrains_sessions_created_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex CreatedCount();
}
