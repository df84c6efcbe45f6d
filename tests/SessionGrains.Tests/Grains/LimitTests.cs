using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

/// <summary>The fixture's limits: values of 1,024 bytes, sessions of 4,096 bytes, 10 keys.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class LimitTests(GrainClusterFixture cluster)
{
    private static readonly SessionWrite Write = SessionWrite.Unconditional;

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/key")]
    [InlineData("ümlaut")]
    [InlineData("quote\"")]
    public async Task A_key_outside_the_allowed_syntax_answers_InvalidKey_and_changes_nothing(string key)
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Put(key, "1", Write);

        Assert.Equal(SessionStatus.InvalidKey, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task A_key_of_every_allowed_character_class_is_accepted()
    {
        var session = await cluster.CreateSession();

        var reply = await session.Put("Az09_-.:", "1", Write);

        Assert.Equal(SessionStatus.Ok, reply.Status);
    }

    [Fact]
    public async Task A_key_of_128_characters_is_accepted()
    {
        var session = await cluster.CreateSession();

        var reply = await session.Put(new string('k', 128), "1", Write);

        Assert.Equal(SessionStatus.Ok, reply.Status);
    }

    [Fact]
    public async Task A_key_longer_than_128_characters_answers_InvalidKey_and_changes_nothing()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Put(new string('k', 129), "1", Write);

        Assert.Equal(SessionStatus.InvalidKey, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task A_value_of_exactly_the_size_limit_is_accepted()
    {
        var session = await cluster.CreateSession();

        var reply = await session.Put("v", JsonStringOfBytes(cluster.Sessions.MaxValueBytes), Write);

        Assert.Equal(SessionStatus.Ok, reply.Status);
    }

    [Fact]
    public async Task A_value_larger_than_the_limit_answers_ValueTooLarge_and_changes_nothing()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["v"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Put("v", JsonStringOfBytes(cluster.Sessions.MaxValueBytes + 1), Write);

        Assert.Equal(SessionStatus.ValueTooLarge, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task The_value_limit_counts_UTF8_bytes_not_characters()
    {
        var session = await cluster.CreateSession();
        var twoBytesEach = "\"" + new string('é', cluster.Sessions.MaxValueBytes / 2) + "\"";

        var reply = await session.Put("v", twoBytesEach, Write);

        Assert.Equal(SessionStatus.ValueTooLarge, reply.Status);
    }

    [Fact]
    public async Task A_write_that_would_make_the_session_too_large_answers_SessionTooLarge_and_changes_nothing()
    {
        var nearlyFull = Enumerable.Range(0, 4).ToDictionary(i => $"k{i}", _ => JsonStringOfBytes(1000));
        var session = await cluster.CreateSession(nearlyFull);
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Put("k4", JsonStringOfBytes(200), Write);

        Assert.Equal(SessionStatus.SessionTooLarge, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task Replacing_a_value_with_a_smaller_one_is_allowed_in_a_full_session()
    {
        var nearlyFull = Enumerable.Range(0, 4).ToDictionary(i => $"k{i}", _ => JsonStringOfBytes(1000));
        var session = await cluster.CreateSession(nearlyFull);

        var reply = await session.Put("k0", "1", Write);

        Assert.Equal(SessionStatus.Ok, reply.Status);
    }

    [Fact]
    public async Task A_new_key_beyond_the_key_limit_answers_TooManyKeys_and_changes_nothing()
    {
        var session = await cluster.CreateSession(TenKeys());
        var before = await SessionSnapshot.Take(cluster, session);

        var replies = new[]
        {
            (await session.Put("eleventh", "1", Write)).Status,
            (await session.Patch("""{"eleventh":1}""", Write)).Status,
            (await session.Increment("eleventh", 1, Write)).Status,
        };

        Assert.All(replies, reply => Assert.Equal(SessionStatus.TooManyKeys, reply));
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task Existing_keys_can_still_change_when_the_session_holds_the_most_keys()
    {
        var session = await cluster.CreateSession(TenKeys());

        Assert.Equal(SessionStatus.Ok, (await session.Put("k0", "\"new\"", Write)).Status);
        Assert.Equal(SessionStatus.Ok, (await session.Patch("""{"k1":null,"other":1}""", Write)).Status);
    }

    [Fact]
    public async Task A_session_created_with_data_beyond_the_limits_is_refused_and_not_created()
    {
        var session = cluster.Session(GrainClusterFixture.NewSessionId());
        var tooMany = Enumerable.Range(0, cluster.Sessions.MaxKeys + 1).ToDictionary(i => $"k{i}", _ => "1");

        var reply = await session.Create(new SessionCreation(tooMany, null, null, null));

        Assert.Equal(SessionStatus.TooManyKeys, reply.Status);
        Assert.Equal(SessionStatus.SessionNotFound, (await session.Get()).Status);
    }

    private Dictionary<string, string> TenKeys() =>
        Enumerable.Range(0, cluster.Sessions.MaxKeys).ToDictionary(i => $"k{i}", _ => "1");

    /// <summary>A JSON string literal of exactly <paramref name="bytes"/> UTF-8 bytes, quotes included.</summary>
    private static string JsonStringOfBytes(int bytes) => "\"" + new string('x', bytes - 2) + "\"";
}
