using SessionGrains.Grains;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>The data rules on their own: every change is a new dictionary, every refusal leaves the input untouched.</summary>
public sealed class SessionDataRulesTests
{
    private static readonly SessionRules Rules = new() { MaxValueBytes = 16, MaxSessionBytes = 40, MaxKeys = 3, MaxKeyLength = 8 };

    private static Dictionary<string, string> Data(params (string Key, string Json)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Json, StringComparer.Ordinal);

    [Fact]
    public void Put_answers_new_data_and_leaves_the_input_unchanged()
    {
        var data = Data(("a", "1"));

        var change = SessionDataRules.Put(data, "b", "2", Rules);

        Assert.True(change.Succeeded);
        Assert.Equal(["b"], change.Value.Keys);
        Assert.Equal("2", change.Value.Data["b"]);
        Assert.False(data.ContainsKey("b"));
        Assert.NotSame(data, change.Value.Data);
    }

    [Theory]
    [InlineData("bad key", "1", SessionStatus.InvalidKey)]
    [InlineData("toolongkey", "1", SessionStatus.InvalidKey)]
    [InlineData("a", "\"01234567890123456\"", SessionStatus.ValueTooLarge)]
    public void Put_refuses_bad_keys_and_values(string key, string json, SessionStatus expected)
    {
        Assert.Equal(expected, SessionDataRules.Put(Data(), key, json, Rules).Status);
    }

    [Fact]
    public void The_key_count_and_total_size_are_checked_on_the_result()
    {
        var full = Data(("a", "1"), ("b", "2"), ("c", "3"));
        Assert.Equal(SessionStatus.TooManyKeys, SessionDataRules.Put(full, "d", "4", Rules).Status);
        Assert.True(SessionDataRules.Put(full, "a", "5", Rules).Succeeded);

        var big = Data(("a", "\"0123456789012\""), ("b", "\"0123456789012\""));
        Assert.Equal(SessionStatus.SessionTooLarge, SessionDataRules.Put(big, "c", "\"0123456789\"", Rules).Status);
    }

    [Fact]
    public void Remove_of_an_absent_key_is_KeyNotFound()
    {
        Assert.Equal(SessionStatus.KeyNotFound, SessionDataRules.Remove(Data(("a", "1")), "b", Rules).Status);
        Assert.Empty(SessionDataRules.Remove(Data(("a", "1")), "a", Rules).Value!.Data);
    }

    [Fact]
    public void Patch_merges_objects_deletes_on_null_and_reports_every_key()
    {
        var data = Data(("p", """{"x":1,"y":2}"""), ("q", "1"));

        var change = SessionDataRules.Patch(data, """{"p":{"y":null,"z":3},"q":null}""", Rules);

        Assert.True(change.Succeeded);
        Assert.Equal("""{"x":1,"z":3}""", change.Value.Data["p"]);
        Assert.False(change.Value.Data.ContainsKey("q"));
        Assert.Equal(["p", "q"], change.Value.Keys);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("""{"a":1,"a":2}""")]
    [InlineData("not json")]
    public void Patch_refuses_what_is_not_an_object_with_distinct_members(string patch)
    {
        Assert.Equal(SessionStatus.InvalidArgument, SessionDataRules.Patch(Data(), patch, Rules).Status);
    }

    [Fact]
    public void An_empty_patch_is_an_empty_change()
    {
        Assert.True(SessionDataRules.Patch(Data(("a", "1")), "{}", Rules).Value!.IsEmpty);
    }

    [Fact]
    public void Increment_counts_from_zero_refuses_non_integers_and_overflow()
    {
        Assert.Equal(5, SessionDataRules.Increment(Data(), "n", 5, Rules).Value!.Counter);
        Assert.Equal(-1, SessionDataRules.Increment(Data(("n", "2")), "n", -3, Rules).Value!.Counter);
        Assert.Equal(SessionStatus.NotAnInteger, SessionDataRules.Increment(Data(("n", "1.5")), "n", 1, Rules).Status);
        Assert.Equal(SessionStatus.NotAnInteger, SessionDataRules.Increment(Data(("n", long.MaxValue.ToString())), "n", 1, Rules).Status);
    }

    [Fact]
    public void Read_answers_the_value_with_the_version_or_KeyNotFound()
    {
        var value = SessionDataRules.Read(Data(("a", "[1]")), 7, "a", Rules);
        Assert.Equal(new SessionValue(7, "[1]"), value.Value);
        Assert.Equal(SessionStatus.KeyNotFound, SessionDataRules.Read(Data(), 7, "a", Rules).Status);
        Assert.Equal(SessionStatus.InvalidKey, SessionDataRules.Read(Data(), 7, "a b", Rules).Status);
    }
}
