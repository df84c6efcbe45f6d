using System.Text.Json.Nodes;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class DataWriteTests(GrainClusterFixture cluster)
{
    private static readonly SessionWrite Write = SessionWrite.Unconditional;

    [Fact]
    public async Task A_put_value_is_read_back_as_the_same_JSON()
    {
        var session = await cluster.CreateSession();

        var put = await session.Put("cart", """{"items":[1,2],"total":9.5}""", Write);
        var read = await session.GetValue("cart");

        Assert.Equal(SessionStatus.Ok, put.Status);
        Assert.Equal("""{"items":[1,2],"total":9.5}""", read.Value?.Json);
    }

    [Fact]
    public async Task A_put_replaces_the_previous_value_of_the_key()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });

        await session.Put("a", "\"two\"", Write);

        Assert.Equal("\"two\"", (await session.GetValue("a")).Value?.Json);
    }

    [Fact]
    public async Task A_removed_key_is_gone_and_the_others_stay()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });

        var removed = await session.Remove("a", Write);

        Assert.Equal(SessionStatus.Ok, removed.Status);
        var data = (await session.Get()).Value?.Data!;
        Assert.False(data.ContainsKey("a"));
        Assert.Equal("2", data["b"]);
    }

    [Fact]
    public async Task Removing_an_absent_key_answers_KeyNotFound_and_changes_nothing()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Remove("missing", Write);

        Assert.Equal(SessionStatus.KeyNotFound, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task A_merge_patch_adds_replaces_and_deletes_top_level_keys_in_one_version()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["keep"] = "0", ["replace"] = "1", ["drop"] = "2" });

        var reply = await session.Patch("""{"replace":"one","drop":null,"add":[3]}""", Write);

        Assert.Equal(2, reply.Value?.Version);
        var data = (await session.Get()).Value?.Data!;
        Assert.Equal(["add", "keep", "replace"], data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("0", data["keep"]);
        Assert.Equal("\"one\"", data["replace"]);
        Assert.Equal("[3]", data["add"]);
    }

    [Fact]
    public async Task A_merge_patch_merges_nested_objects_member_by_member_and_null_deletes_a_member()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string>
        {
            ["profile"] = """{"name":"ada","address":{"city":"London","zip":"N1"},"tags":["a","b"]}""",
        });

        await session.Patch("""{"profile":{"address":{"zip":null,"street":"Baker St"},"tags":["c"],"age":36}}""", Write);

        var profile = JsonNode.Parse((await session.GetValue("profile")).Value?.Json!);
        var expected = JsonNode.Parse("""{"name":"ada","address":{"city":"London","street":"Baker St"},"tags":["c"],"age":36}""");
        Assert.True(JsonNode.DeepEquals(expected, profile), profile?.ToJsonString());
    }

    [Fact]
    public async Task A_merge_patch_object_replaces_a_value_that_is_not_an_object()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["x"] = "[1,2]" });

        await session.Patch("""{"x":{"y":1,"z":null}}""", Write);

        Assert.Equal("""{"y":1}""", (await session.GetValue("x")).Value?.Json);
    }

    [Fact]
    public async Task A_merge_patch_with_one_invalid_key_answers_InvalidKey_and_changes_no_key()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Patch("""{"a":10,"b":null,"c":3,"not valid!":4}""", Write);

        Assert.Equal(SessionStatus.InvalidKey, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task A_merge_patch_with_one_value_too_large_answers_ValueTooLarge_and_changes_no_key()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);
        var big = "\"" + new string('x', cluster.Sessions.MaxValueBytes) + "\"";

        var reply = await session.Patch($$"""{"a":10,"big":{{big}}}""", Write);

        Assert.Equal(SessionStatus.ValueTooLarge, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public async Task A_merge_patch_that_is_not_a_JSON_object_answers_InvalidArgument_and_changes_nothing(string patch)
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Patch(patch, Write);

        Assert.Equal(SessionStatus.InvalidArgument, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Theory]
    [InlineData("""{"a":2,"a":3}""")]
    [InlineData("""{"b":{"c":1,"c":2}}""")]
    public async Task A_merge_patch_with_a_repeated_member_name_answers_InvalidArgument_and_changes_nothing(string patch)
    {
        // JSON that the front end accepts (JsonDocument allows repeated names) must not fail inside the grain.
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Patch(patch, Write);

        Assert.Equal(SessionStatus.InvalidArgument, reply.Status);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

    [Fact]
    public async Task An_empty_merge_patch_changes_nothing()
    {
        var session = await cluster.CreateSession(new Dictionary<string, string> { ["a"] = "1" });
        var before = await SessionSnapshot.Take(cluster, session);

        var reply = await session.Patch("{}", Write);

        Assert.Equal(SessionStatus.Ok, reply.Status);
        Assert.Equal(1, reply.Value?.Version);
        Assert.Equal(before, await SessionSnapshot.Take(cluster, session));
    }

}
