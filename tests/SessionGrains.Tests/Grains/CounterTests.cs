using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class CounterTests(GrainClusterFixture cluster)
{
    private static readonly SessionWrite Write = SessionWrite.Unconditional;

    [Fact]
    public async Task Incrementing_an_absent_key_counts_from_zero()
    {
        var session = await cluster.CreateSession();

        var reply = await session.Increment("visits", 1, Write);

        Assert.Equal(SessionStatus.Ok, reply.Status);
        Assert.Equal(1, reply.Value?.Value);
        Assert.Equal("1", (await session.GetValue("visits")).Value?.Json);
    }

    [Fact]
    public async Task Incrementing_adds_to_the_stored_integer_and_returns_the_new_value_and_version()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "40" });

        var reply = await session.Increment("n", 2, Write);

        Assert.Equal(42, reply.Value?.Value);
        Assert.Equal(2, reply.Value?.Version);
        Assert.Equal("42", (await session.GetValue("n")).Value?.Json);
    }

    [Fact]
    public async Task A_negative_increment_subtracts()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = "3" });

        var reply = await session.Increment("n", -5, Write);

        Assert.Equal(-2, reply.Value?.Value);
        Assert.Equal("-2", (await session.GetValue("n")).Value?.Json);
    }

    [Theory]
    [InlineData("\"5\"")]
    [InlineData("1.5")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("{\"n\":1}")]
    [InlineData("[1]")]
    public async Task Incrementing_a_key_that_holds_a_non_integer_answers_NotAnInteger_and_changes_nothing(string json)
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = json });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Increment("n", 1, Write);

        Assert.Equal(SessionStatus.NotAnInteger, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Theory]
    [InlineData(long.MaxValue, 1)]
    [InlineData(long.MinValue, -1)]
    public async Task An_increment_that_would_overflow_64_bits_answers_NotAnInteger_and_changes_nothing(long stored, long by)
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["n"] = stored.ToString() });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Increment("n", by, Write);

        Assert.Equal(SessionStatus.NotAnInteger, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task Incrementing_an_invalid_key_answers_InvalidKey()
    {
        var session = await cluster.CreateSession();

        Assert.Equal(SessionStatus.InvalidKey, (await session.Increment("no spaces", 1, Write)).Status);
    }

    [Fact]
    public async Task Concurrent_increments_from_many_callers_are_all_counted()
    {
        var session = await cluster.CreateSession();
        const int callers = 20, incrementsEach = 10;

        var replies = await Task.WhenAll(Enumerable.Range(1, callers).Select(async caller =>
        {
            var outcomes = new List<Reply<Counted>>();
            for (var i = 0; i < incrementsEach; i++) outcomes.Add(await session.Increment("n", caller, Write));
            return outcomes;
        }));

        Assert.All(replies.SelectMany(r => r), reply => Assert.Equal(SessionStatus.Ok, reply.Status));
        var expected = incrementsEach * Enumerable.Range(1, callers).Sum();
        Assert.Equal(expected.ToString(), (await session.GetValue("n")).Value?.Json);
        Assert.Equal(1 + callers * incrementsEach, (await session.Get()).Value?.Info.Version);
        // Every intermediate value was seen by exactly one caller: no two increments read the same state.
        Assert.Equal(callers * incrementsEach, replies.SelectMany(r => r).Select(r => r.Value?.Value).Distinct().Count());
    }
}
