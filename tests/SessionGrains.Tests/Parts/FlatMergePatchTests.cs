using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using SessionGrains.Grains;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>
/// The reader-based merge patch (<see cref="FlatMergePatch"/>) against the tree-based RFC 7396 merge it stands in for: for
/// any patch, valid or not, <see cref="SessionDataRules.Patch"/> answers what the tree alone answers, value text included.
/// </summary>
public sealed class FlatMergePatchTests
{
    private static readonly SessionRules Rules = new() { MaxValueBytes = 4096, MaxSessionBytes = 65536, MaxKeys = 64, MaxKeyLength = 16 };

    private static readonly Gen<string> Chars = Gen.Frequency(
        (6, Gen.Char['a', 'z'].Select(c => c.ToString())),
        (4, Gen.OneOf("+", "/", "=", "<", ">", "&", "'", "`", " ", "é", "😀", "\u2028", "\u007f", "\\\"", "\\\\", "\\n", "\\u0041", "\\u002B", "\\u00e9", "\\ud83d\\ude00", "\\/")),
        (1, Gen.OneOf("\\ud800", "\\uZZ", "\u0001", "\ud800", "\\x")));

    private static readonly Gen<string> Value = Gen.Frequency(
        (6, Chars.Array[0, 12].Select(parts => "\"" + string.Concat(parts) + "\"")),
        (3, Gen.OneOf("0", "-0", "1.50", "1e5", "2E-3", "-12", "12345678901234567890123", "1e999", "null", "true", "false")),
        (1, Gen.OneOf("""{"x":1,"y":null}""", "[1,2]", "{}", "[]", "01", "+1", ".5", "nul", "\"open")));

    private static readonly Gen<string> Patch = Gen.Frequency(
        (8, Gen.Select(Gen.OneOf("a", "b", "c", "k-1", "\\u0061", "bad key", "é").Array[0, 6], Value.Array[6], Gen.OneOf("", " ", "\n"),
            (keys, values, space) => "{" + space + string.Join("," + space, keys.Select((k, i) => $"\"{k}\"{space}:{space}{values[i]}")) + space + "}")),
        (1, Gen.OneOf("[1]", "1", "null", "{", "{\"a\":1,}", "{\"a\":1} 2", "{\"a\":1}x", "{\"a\" 1}", "", "  {\"a\":\"b\"}  ")));

    private static readonly Gen<Dictionary<string, string>> Data = Gen.OneOf(
        Gen.Const(new Dictionary<string, string>(StringComparer.Ordinal)),
        Gen.Const(new Dictionary<string, string>(StringComparer.Ordinal) { ["a"] = "1", ["b"] = """{"x":1}""", ["c"] = "\"s\"" }));

    [Fact]
    public void Every_patch_gets_the_answer_of_the_tree_based_merge()
    {
        Gen.Select(Data, Patch).Sample((data, patch) =>
        {
            var expected = ByTree(data, patch, Rules);
            var actual = SessionDataRules.Patch(data, patch, Rules);
            Assert.True(expected.Status == actual.Status, $"{patch}: {expected.Status} by the tree, {actual.Status} answered");
            if (!actual.Succeeded) return;
            Assert.Equal(expected.Value!.Keys, actual.Value!.Keys);
            Assert.Equal(expected.Value.Data.OrderBy(p => p.Key, StringComparer.Ordinal), actual.Value.Data.OrderBy(p => p.Key, StringComparer.Ordinal));
        }, iter: 20_000);
    }

    [Theory]
    [InlineData("""{"n":"AAAAAQ=="}""", "\"AAAAAQ==\"")]
    [InlineData("""{"n":"a+b<c"}""", "\"a\\u002Bb\\u003Cc\"")]
    [InlineData("""{"n":"\u0041\n"}""", "\"A\\n\"")]
    [InlineData("""{"n":1.50}""", "1.50")]
    public void Plain_values_are_stored_as_the_writer_escapes_them(string patch, string stored)
    {
        Assert.Equal(stored, SessionDataRules.Patch(new Dictionary<string, string>(), patch, Rules).Value!.Data["n"]);
        Assert.NotNull(FlatMergePatch.TryRead(patch));
    }

    [Theory]
    [InlineData("""{"n":{"x":1}}""")]
    [InlineData("""{"n":1,"n":2}""")]
    [InlineData("""{"n":"\ud800"}""")]
    public void Nested_repeated_or_unpaired_members_are_left_to_the_tree(string patch)
    {
        Assert.Null(FlatMergePatch.TryRead(patch));
    }

    /// <summary>The RFC 7396 merge of the whole patch through JSON trees, with the same checks (what the grain did before).</summary>
    private static Reply<DataChange> ByTree(Dictionary<string, string> data, string patch, SessionRules rules)
    {
        var refused = new SessionFailure(SessionStatus.InvalidArgument, "refused");
        try
        {
            if (JsonNode.Parse(patch, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) is not JsonObject members) return refused;
            var next = new Dictionary<string, string>(data, StringComparer.Ordinal);
            var keys = new List<string>();
            foreach (var (key, value) in members)
            {
                if (!SessionKeys.IsValidKey(key, rules.MaxKeyLength)) return new SessionFailure(SessionStatus.InvalidKey, key);
                keys.Add(key);
                if (value is null) next.Remove(key);
                else next[key] = JsonMergePatch.Apply(next.GetValueOrDefault(key), value);
            }
            return new DataChange(next, [.. keys]);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return refused;
        }
    }
}
