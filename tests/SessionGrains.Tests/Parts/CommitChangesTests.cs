using CsCheck;
using SessionGrains.AspNetCore;
using SessionGrains.Grains;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>
/// The drop-in store commits its changes to a grain in its process as the members of a merge patch (<see
/// cref="SessionCalls.CommitChanges"/>), without writing the patch's text; anywhere else they go as that text. Both ways
/// must store the same JSON text, and the members must be what the patch's reader gives for the text.
/// </summary>
public sealed class CommitChangesTests
{
    [Fact]
    public void A_values_JSON_text_is_what_a_merge_patch_of_its_base64_string_stores()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var members = FlatMergePatch.TryRead($$"""{"k":"{{Convert.ToBase64String(bytes)}}"}""");
            Assert.NotNull(members);
            Assert.Equal(members[0].Value, SessionKeyCodec.ValueJson(bytes));
        }, iter: 2_000);
        // 0xFB 0xFF gives "+/8=": the one character base64 has that the JSON writer escapes.
        Assert.Equal("\"\\u002B/8=\"", SessionKeyCodec.ValueJson([0xFB, 0xFF]));
    }

    [Fact]
    public void The_merge_patch_of_members_reads_back_as_those_members()
    {
        var change = Gen.Select(Gen.Int[0, 9], Gen.Byte.Array[0, 24], Gen.Bool, (key, bytes, removed) =>
            new KeyValuePair<string, string?>(SessionKeyCodec.Encode("key " + key), removed ? null : SessionKeyCodec.ValueJson(bytes)));
        change.Array[1, 8].Sample(changes =>
        {
            var distinct = changes.DistinctBy(c => c.Key).ToArray();
            Assert.Equal(distinct, FlatMergePatch.TryRead(SessionCalls.CommitChanges.MergePatch(distinct)));
        }, iter: 1_000);
    }

    [Fact]
    public void Members_and_a_removal_have_fingerprints_of_their_own()
    {
        KeyValuePair<string, string?>[] set = [new("a", "\"x\"")], removed = [new("a", null)], other = [new("a", "\"y\"")];
        var fingerprints = new[] { set, removed, other, [new("a", "\"x\""), new("b", null)] }.Select(IdempotencyLedger.Fingerprint).ToList();
        Assert.Equal(fingerprints.Count, fingerprints.Distinct().Count());
        Assert.Equal(IdempotencyLedger.Fingerprint(set), IdempotencyLedger.Fingerprint(new KeyValuePair<string, string?>[] { new("a", "\"x\"") }));
    }
}
