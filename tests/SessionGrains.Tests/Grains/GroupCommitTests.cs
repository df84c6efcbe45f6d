using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SessionGrains.Tests.Grains;

/// <summary>
/// The SQLite session storage of the fixture, behind a valve: a test can hold writes in flight, fail one (stored or not),
/// and answer a read with another node's view.
/// </summary>
public sealed class ValvedSessionStore(ISessionStore inner) : ISessionStore
{
    private TaskCompletionSource? _held;
    private Exception? _failNext;
    private Exception? _storeThenFailNext;
    private StrongBox<StoredSession>? _nextRead;
    private int _elsewhereReads;
    private int _writes;

    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Writes from now on wait until <see cref="Open"/>; answers a task that completes when the first one waits.</summary>
    public Task Hold()
    {
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return Waiting.Task;
    }

    private TaskCompletionSource? Waiting { get; set; }

    public void Open() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    /// <summary>The next write fails with <paramref name="failure"/> without reaching storage.</summary>
    public void FailNext(Exception failure) => _failNext = failure;

    /// <summary>The next write is stored, then fails with <paramref name="failure"/>: its caller cannot tell it was stored.</summary>
    public void StoreThenFailNext(Exception failure) => _storeThenFailNext = failure;

    /// <summary>The next <paramref name="reads"/> reads answer <paramref name="elsewhere"/>: what another node (a second primary) holds.</summary>
    public void AnswerReadsFromElsewhere(StoredSession elsewhere, int reads)
    {
        _nextRead = new StrongBox<StoredSession>(elsewhere);
        _elsewhereReads = reads;
    }

    public Task<StoredSession> Read(GrainId session)
    {
        var elsewhere = _nextRead;
        if (elsewhere is null || Interlocked.Decrement(ref _elsewhereReads) < 0) return inner.Read(session);
        return Task.FromResult(elsewhere.Value);
    }

    public async Task Write(GrainId session, long revision, long written, SessionState stored, SessionState next)
    {
        Interlocked.Increment(ref _writes);
        if (_held is { } held)
        {
            Waiting?.TrySetResult();
            await held.Task;
        }
        if (Interlocked.Exchange(ref _failNext, null) is { } failure) throw failure;
        await inner.Write(session, revision, written, stored, next);
        if (Interlocked.Exchange(ref _storeThenFailNext, null) is { } afterwards) throw afterwards;
    }

    public Task Clear(GrainId session, long revision) => inner.Clear(session, revision);
}

public sealed class ValvedClusterFixture : GrainClusterFixture
{
    public ValvedSessionStore Valve => Cluster.Silos[0].ServiceProvider.GetRequiredService<ValvedSessionStore>();

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.Services.AddSingleton(provider => new ValvedSessionStore((ISessionStore)provider.GetRequiredKeyedService<IGrainStorage>(SessionStorage.Name)));
        silo.Services.AddSingleton<ISessionStore>(provider => provider.GetRequiredService<ValvedSessionStore>());
    }

    protected override void ConfigureSessions(SessionRules sessions) => sessions.RequestsPerSecond = 100_000;
}

/// <summary>
/// Group commit per session (issue 18): changes that arrive while a write is in flight are applied in arrival order and
/// stored by the next single write; each caller is answered only once its change is stored; a failed write fails every
/// change it held and every change made on top of it, and retries under the same idempotency keys apply once.
/// </summary>
public sealed class GroupCommitTests(ValvedClusterFixture cluster, ITestOutputHelper output) : IClassFixture<ValvedClusterFixture>
{
    [Fact]
    public async Task Concurrent_increments_of_one_session_are_stored_by_few_writes_and_none_is_lost_or_applied_twice()
    {
        var session = await cluster.CreateSession();
        var writesBefore = cluster.Valve.Writes;

        var replies = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => session.Increment("n", 1, SessionWrite.Unconditional)));

        var writes = cluster.Valve.Writes - writesBefore;
        output.WriteLine($"64 concurrent increments stored by {writes} storage writes");
        Assert.All(replies, r => Assert.True(r.Succeeded, r.Failure?.Detail));
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (long)i), replies.Select(r => r.Value!.Value).Order());
        Assert.True(writes < 64, $"{writes} writes for 64 changes: nothing was grouped");
        var stored = await cluster.StoredState(session);
        Assert.Equal("64", stored!.Data["n"]);
        Assert.Equal(65, stored.Version);
    }

    [Fact]
    public async Task No_caller_is_answered_before_its_change_is_stored_and_reads_show_only_stored_changes()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });
        var waiting = cluster.Valve.Hold();
        var first = session.Increment("n", 1, SessionWrite.Unconditional);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        var later = Enumerable.Range(0, 5).Select(_ => session.Increment("n", 1, SessionWrite.Unconditional)).ToArray();

        // Give the five calls time to reach the grain: all wait, and a read answers the stored session.
        await Task.Delay(300);
        Assert.False(first.IsCompleted || later.Any(t => t.IsCompleted), "a caller was answered while its change was not stored");
        var read = await session.Get();
        Assert.Equal("0", read.Value!.Data["n"]);
        Assert.Equal(1, read.Value.Info.Version);

        cluster.Valve.Open();
        Assert.Equal(1, (await first).Value!.Value);
        Assert.Equal([2L, 3, 4, 5, 6], (await Task.WhenAll(later)).Select(r => r.Value!.Value).Order());
        Assert.Equal("6", (await session.GetValue("n")).Value!.Json);
    }

    [Fact]
    public async Task A_storage_failure_fails_every_change_of_its_batch_and_after_it_and_retries_with_their_keys_apply_once()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "0" });
        var waiting = cluster.Valve.Hold();
        var first = session.Increment("n", 1, new SessionWrite(null, "retry-0"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        var later = Enumerable.Range(1, 8).Select(i => session.Increment("n", 1, new SessionWrite(null, $"retry-{i}"))).ToArray();
        await Task.Delay(300);
        cluster.Valve.FailNext(new TimeoutException("storage timed out (injected)"));
        cluster.Valve.Open();

        await Assert.ThrowsAsync<TimeoutException>(() => first);
        foreach (var call in later) await Assert.ThrowsAsync<TimeoutException>(() => call);
        Assert.Equal("0", (await session.GetValue("n")).Value!.Json);
        Assert.Equal("0", (await cluster.StoredState(session))!.Data["n"]);

        // Every caller retries with its key, twice and at once: each change applies once.
        var retries = await Task.WhenAll(Enumerable.Range(0, 9).SelectMany(i => new[]
        {
            session.Increment("n", 1, new SessionWrite(null, $"retry-{i}")),
            session.Increment("n", 1, new SessionWrite(null, $"retry-{i}")),
        }));
        Assert.All(retries, r => Assert.True(r.Succeeded, r.Failure?.Detail));
        Assert.Equal(9, retries.Select(r => r.Value!.Value).Distinct().Count());
        Assert.Equal("9", (await session.GetValue("n")).Value!.Json);
        Assert.Equal("9", (await cluster.StoredState(session))!.Data["n"]);
    }

    [Fact]
    public async Task Conditional_writes_in_one_batch_keep_their_meaning()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "0" });
        var waiting = cluster.Valve.Hold();
        var first = session.Put("a", "1", new SessionWrite(1, null));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        // Both name version 2 (what the first makes): exactly one of them wins, as if they had come one after the other.
        var second = session.Put("a", "2", new SessionWrite(2, null));
        var third = session.Put("a", "3", new SessionWrite(2, null));
        await Task.Delay(200);
        cluster.Valve.Open();

        Assert.Equal(2, (await first).Value!.Version);
        var outcomes = new[] { await second, await third };
        Assert.Single(outcomes, o => o.Succeeded);
        Assert.Single(outcomes, o => o.Status == SessionStatus.VersionMismatch);
        Assert.Equal(3, (await session.Get()).Value!.Info.Version);
    }
}
