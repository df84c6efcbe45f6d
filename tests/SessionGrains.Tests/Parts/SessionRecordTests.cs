using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>
/// The event fields of a write (<see cref="SessionRecord.Diff"/>): for any two logs, the fields deleted are the seqs the
/// new log no longer has, and the fields written are its events that storage does not hold as they are (new seqs, or an
/// event at a kept seq that is another object). Logs as the event log keeps them (contiguous) take a path of their own.
/// </summary>
public sealed class SessionRecordTests
{
    private static readonly SessionRecord Record = new(new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(SessionState).Assembly).AddAssembly(typeof(SessionInfo).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>());

    private static SessionEvent Event(long seq) => new(seq, SessionEventKind.Changed, seq, ["k"], null);

    /// <summary>A stored log (seqs from a start, with gaps sometimes) and the next one made from it.</summary>
    private static readonly Gen<(List<SessionEvent> Kept, List<SessionEvent> Now)> Logs =
        Gen.Select(Gen.Long[1, 50], Gen.Int[0, 8], Gen.Bool, Gen.Int[0, 10], Gen.Int[0, 6], Gen.Int[0, 4], Gen.Bool)
            .Select((start, count, gap, trim, append, replace, fresh) =>
            {
                var kept = Enumerable.Range(0, count).Select(i => Event(start + i + (gap && i > count / 2 ? 3 : 0))).ToList();
                var next = fresh ? kept.Select(e => Event(e.Seq)).ToList() : kept.Skip(Math.Min(trim, kept.Count)).ToList();
                var last = kept.Count > 0 ? kept[^1].Seq : start - 1;
                for (var i = 1; i <= append; i++) next.Add(Event(last + i));
                for (var i = 0; i < Math.Min(replace, next.Count); i += 2) next[i] = Event(next[i].Seq);
                return (kept, next);
            });

    [Fact]
    public void A_write_sends_exactly_the_events_storage_does_not_hold_and_deletes_the_ones_gone()
    {
        Logs.Sample(logs =>
        {
            var (kept, now) = logs;
            var delta = Record.Diff(SessionState.None with { Events = kept, Version = 1 }, SessionState.None with { Events = now, Version = 1 });
            var keptBySeq = kept.ToDictionary(e => e.Seq);
            var expectedPut = now.Where(e => !keptBySeq.TryGetValue(e.Seq, out var before) || !ReferenceEquals(before, e)).Select(e => "e" + e.Seq).Order();
            var expectedDeleted = kept.Where(e => now.All(n => n.Seq != e.Seq)).Select(e => "e" + e.Seq).Order();
            Assert.Equal(expectedPut, delta.Fields.Select(f => f.Key).Where(k => k.StartsWith('e')).Order());
            Assert.Equal(expectedDeleted, delta.Deleted.Where(k => k.StartsWith('e')).Order());
        }, iter: 5_000);
    }
}
