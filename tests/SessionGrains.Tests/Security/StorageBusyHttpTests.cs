using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>A standalone front end whose SQLite storage lets one write wait.</summary>
public sealed class OneQueuedWriteFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string> { ["Storage:MaxQueuedWrites"] = "1" };
}

/// <summary>When the disk falls behind, writes past the queue bound answer 503 with Retry-After at once, not after a wait.</summary>
public sealed class StorageBusyHttpTests(OneQueuedWriteFrontEnd frontEnd) : IClassFixture<OneQueuedWriteFrontEnd>
{
    [Fact]
    public async Task Writes_past_the_storage_queue_bound_answer_503_with_Retry_After_at_once()
    {
        using var http = frontEnd.CreateClient();
        var api = new SessionApi(http);
        var sessions = new List<CreatedSession>();
        for (var i = 0; i < 6; i++) sessions.Add(await api.Create());

        await using var blocker = new SqliteConnection($"Data Source={Path.Combine(frontEnd.ContentRoot, "data", "sessions.db")}");
        await blocker.OpenAsync();
        await using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }
        var clock = Stopwatch.StartNew();
        var writes = sessions.Select(async s =>
        {
            var response = await api.Send(HttpMethod.Put, "/sessions/current/data/a", s.Token, SessionApi.Json("1"));
            return (Response: response, Elapsed: clock.Elapsed);
        }).ToList();

        var first = await Task.WhenAny(writes).WaitAsync(TimeSpan.FromSeconds(8));
        var (refused, elapsed) = await first;
        await using (var rollback = blocker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        using (refused)
        {
            await SessionApi.AssertProblem(refused, HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        Assert.True(elapsed < TimeSpan.FromSeconds(8), $"the first answer took {elapsed}");
        foreach (var write in writes) (await write).Response.Dispose();
    }
}
