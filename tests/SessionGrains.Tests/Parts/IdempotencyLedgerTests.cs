using System.IO.Hashing;
using System.Runtime.InteropServices;
using CsCheck;
using SessionGrains.Grains;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>The idempotency ledger on its own: a key replays only its own request, within its window and the ledger's length.</summary>
public sealed class IdempotencyLedgerTests
{
    private static readonly SessionRules Rules = new()
    {
        IdempotencyKeysKept = 2,
        IdempotencyWindow = TimeSpan.FromMinutes(10),
        FrontEndIdempotencyWindow = TimeSpan.FromMinutes(1),
    };

    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static LedgerEntry[] Recorded(string key, string operation, ulong fingerprint, long version) =>
        IdempotencyLedger.Record([], key, operation, fingerprint, (Reply<Written>)new Written(version), Now, Rules);

    [Fact]
    public void The_same_request_under_the_same_key_replays_the_first_answer()
    {
        var ledger = Recorded("k", "put", 42, 3);

        Assert.True(IdempotencyLedger.TryReplay<Written>(ledger, "k", "put", 42, Now.AddMinutes(9), out var reply));
        Assert.Equal(new Written(3), reply.Value);
    }

    [Fact]
    public void Another_operation_or_body_under_the_same_key_is_refused_not_answered()
    {
        var ledger = Recorded("k", "put", 42, 3);

        Assert.True(IdempotencyLedger.TryReplay<Counted>(ledger, "k", "increment", 42, Now, out var otherOperation));
        Assert.Equal(SessionStatus.IdempotencyKeyReused, otherOperation.Status);
        Assert.True(IdempotencyLedger.TryReplay<Written>(ledger, "k", "put", 43, Now, out var otherBody));
        Assert.Equal(SessionStatus.IdempotencyKeyReused, otherBody.Status);
    }

    [Fact]
    public void A_key_is_forgotten_after_its_window_front_end_keys_sooner()
    {
        var client = Recorded("k", "put", 1, 2);
        Assert.False(IdempotencyLedger.TryReplay<Written>(client, "k", "put", 1, Now.AddMinutes(10), out _));

        var frontEnd = Recorded(SessionKeys.FrontEndKeyPrefix + "x", "put", 1, 2);
        Assert.True(IdempotencyLedger.TryReplay<Written>(frontEnd, SessionKeys.FrontEndKeyPrefix + "x", "put", 1, Now.AddSeconds(59), out _));
        Assert.False(IdempotencyLedger.TryReplay<Written>(frontEnd, SessionKeys.FrontEndKeyPrefix + "x", "put", 1, Now.AddMinutes(1), out _));
    }

    [Fact]
    public void The_ledger_keeps_the_newest_keys_and_drops_expired_ones()
    {
        var ledger = Recorded("a", "put", 1, 2);
        ledger = IdempotencyLedger.Record(ledger, "b", "put", 1, (Reply<Written>)new Written(3), Now, Rules);
        ledger = IdempotencyLedger.Record(ledger, "c", "put", 1, (Reply<Written>)new Written(4), Now, Rules);
        Assert.Equal(["b", "c"], ledger.Select(e => e.Key));

        var later = IdempotencyLedger.Record(ledger, null, "put", 1, (Reply<Written>)new Written(5), Now.AddMinutes(11), Rules);
        Assert.Empty(later);
    }

    [Fact]
    public void Fingerprints_are_stable_and_tell_argument_boundaries_apart()
    {
        Assert.Equal(IdempotencyLedger.Fingerprint("a", "b"), IdempotencyLedger.Fingerprint("a", "b"));
        Assert.NotEqual(IdempotencyLedger.Fingerprint("ab", ""), IdempotencyLedger.Fingerprint("a", "b"));
        Assert.NotEqual(IdempotencyLedger.Fingerprint("a", null), IdempotencyLedger.Fingerprint("a"));
        // The value is stored with the session and compared on another silo or after a restart: it must never change.
        Assert.Equal(IdempotencyLedger.Fingerprint("put", "1"), IdempotencyLedger.Fingerprint("put", "1"));
    }

    /// <summary>
    /// Any sequence of recordings (keys repeated, front-end keys with the shorter window, keyless writes, time moving on)
    /// leaves the ledger a model of its rules would: live entries only, one per key, in the order they lapse, the newest
    /// <see cref="SessionRules.IdempotencyKeysKept"/> of them.
    /// </summary>
    [Fact]
    public void Recording_keeps_what_the_rules_say_for_any_sequence()
    {
        var rules = new SessionRules { IdempotencyKeysKept = 4, IdempotencyWindow = TimeSpan.FromMinutes(10), FrontEndIdempotencyWindow = TimeSpan.FromMinutes(1) };
        var step = Gen.Select(Gen.OneOf<string?>("a", "b", "c", "d", "e", null, SessionKeys.FrontEndKeyPrefix + "x", SessionKeys.FrontEndKeyPrefix + "y"), Gen.Int[0, 400]);
        string?[] candidates = ["a", "b", "c", "d", "e", SessionKeys.FrontEndKeyPrefix + "x", SessionKeys.FrontEndKeyPrefix + "y"];
        step.Array[1, 40].Sample(steps =>
        {
            var ledger = Array.Empty<LedgerEntry>();
            // The grain's path: each ledger recorded from the last, its key hashes carried along instead of rebuilt.
            var keys = LedgerKeys.Of([]);
            var model = new List<LedgerEntry>();
            var now = Now;
            foreach (var (key, seconds) in steps)
            {
                now = now.AddSeconds(seconds);
                ledger = IdempotencyLedger.Record(ledger, key, "put", 1, (Reply<Written>)new Written(1), now, rules);
                keys = IdempotencyLedger.Record(keys, key, "put", 1, (Reply<Written>)new Written(1), now, rules);
                model.RemoveAll(e => e.KeepUntil <= now || e.Key == key);
                if (key is not null)
                {
                    var keepUntil = now + (SessionKeys.IsFrontEndKey(key) ? rules.FrontEndIdempotencyWindow : rules.IdempotencyWindow);
                    var added = new LedgerEntry(key, "put", 1, null!, keepUntil);
                    model.Insert(model.FindLastIndex(e => e.KeepUntil <= keepUntil) + 1, added);
                    // Over the length, the earlier entries that lapse first go, never the one recorded now.
                    while (model.Count > rules.IdempotencyKeysKept) model.Remove(model.First(e => !ReferenceEquals(e, added)));
                }
                Assert.Equal(model.Select(e => (e.Key, e.KeepUntil)), ledger.Select(e => (e.Key, e.KeepUntil)));
                Assert.Equal(model.Select(e => (e.Key, e.KeepUntil)), keys.Entries.Select(e => (e.Key, e.KeepUntil)));
                // Every key the model holds live is found by the carried hashes (a key missed is a write applied twice).
                foreach (var candidate in candidates)
                {
                    var later = now.AddSeconds(30);
                    Assert.Equal(model.Any(e => e.Key == candidate && e.KeepUntil > later),
                        IdempotencyLedger.TryReplay<Written>(keys, candidate, "put", 1, later, out _));
                }
            }
        }, iter: 2_000);
    }

    [Fact]
    public void A_front_end_key_recorded_into_a_ledger_full_of_client_keys_is_kept_and_the_oldest_client_key_goes()
    {
        // The front end's key lapses first (1 minute against 10): once it went first too, dropped as it was recorded,
        // and a retry of that keyless write was applied twice.
        var ledger = IdempotencyLedger.Record([], "a", "put", 1, (Reply<Written>)new Written(1), Now, Rules);
        ledger = IdempotencyLedger.Record(ledger, "b", "put", 1, (Reply<Written>)new Written(2), Now.AddSeconds(1), Rules);
        var frontEndKey = SessionKeys.FrontEndKeyPrefix + "x";

        ledger = IdempotencyLedger.Record(ledger, frontEndKey, "put", 1, (Reply<Written>)new Written(3), Now.AddSeconds(2), Rules);

        Assert.Equal([frontEndKey, "b"], ledger.Select(e => e.Key));
        Assert.True(IdempotencyLedger.TryReplay<Written>(ledger, frontEndKey, "put", 1, Now.AddSeconds(3), out var replay));
        Assert.Equal(3, replay.Value!.Version);
    }

    [Fact]
    public void A_ledger_out_of_lapse_order_is_put_in_order_and_its_expired_entries_dropped_wherever_they_were()
    {
        var rules = new SessionRules { IdempotencyKeysKept = 8, IdempotencyWindow = TimeSpan.FromMinutes(10), FrontEndIdempotencyWindow = TimeSpan.FromMinutes(1) };
        LedgerEntry Entry(string key, int minutes) => new(key, "put", 1, (Reply<Written>)new Written(1), Now.AddMinutes(minutes));
        LedgerEntry[] shuffled = [Entry("c", 9), Entry("a", 2), Entry("d", 12), Entry("b", 5)];

        var next = IdempotencyLedger.Record(shuffled, "e", "put", 1, (Reply<Written>)new Written(2), Now.AddMinutes(3), rules);

        Assert.Equal(["b", "c", "d", "e"], next.Select(e => e.Key));
        Assert.True(IdempotencyLedger.TryReplay<Written>(shuffled, "d", "put", 1, Now.AddMinutes(11), out _));
        Assert.False(IdempotencyLedger.TryReplay<Written>(shuffled, "a", "put", 1, Now.AddMinutes(2), out _));
    }

    [Fact]
    public void A_reused_hasher_gives_what_a_new_one_gives()
    {
        Gen.String[0, 20].Array[0, 5].Sample(parts =>
        {
            var fresh = new XxHash3();
            foreach (var part in parts)
            {
                fresh.Append(MemoryMarshal.AsBytes(part.AsSpan()));
                fresh.Append([0xFF, 0xFE]);
            }
            Assert.Equal(fresh.GetCurrentHashAsUInt64(), IdempotencyLedger.Fingerprint(parts));
        }, iter: 500);
    }
}
