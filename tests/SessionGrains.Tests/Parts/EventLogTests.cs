using CsCheck;
using SessionGrains.Grains;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>The event log on its own: sequence numbers, both bounds, and what a resume sees.</summary>
public sealed class EventLogTests
{
    private static readonly SessionRules Rules = new() { EventLogLength = 4, EventLogMessageBytes = 10 };

    private static SessionState AppendChanges(SessionState state, int count)
    {
        for (var i = 0; i < count; i++) state = EventLog.Append(state, SessionEventKind.Changed, state.Version + 1, ["k"], null, Rules);
        return state;
    }

    [Fact]
    public void Sequence_numbers_increase_by_one_and_the_log_keeps_the_newest()
    {
        var state = AppendChanges(new SessionState(), 6);

        Assert.Equal(7, state.NextSeq);
        Assert.Equal([3L, 4, 5, 6], state.Events.Select(e => e.Seq));
    }

    [Fact]
    public void Appending_never_changes_the_previous_state()
    {
        var before = AppendChanges(new SessionState(), 2);
        var events = before.Events.ToList();

        _ = EventLog.Append(before, SessionEventKind.Message, 1, [], "\"hi\"", Rules);

        Assert.Equal(events, before.Events);
        Assert.Equal(3, before.NextSeq);
    }

    [Fact]
    public void Message_bytes_are_bounded_but_the_newest_event_is_always_kept()
    {
        var state = EventLog.Append(new SessionState(), SessionEventKind.Message, 1, [], "\"123456\"", Rules);
        state = EventLog.Append(state, SessionEventKind.Message, 1, [], "\"abcdef\"", Rules);
        Assert.Equal([2L], state.Events.Select(e => e.Seq));

        state = EventLog.Append(state, SessionEventKind.Message, 1, [], "\"far more than ten bytes\"", Rules);
        Assert.Equal([3L], state.Events.Select(e => e.Seq));
    }

    [Fact]
    public void A_resume_gets_the_events_after_its_seq_and_a_gap_when_the_log_no_longer_reaches_back()
    {
        var state = AppendChanges(new SessionState(), 6);

        var recent = EventLog.After(state, 4);
        Assert.Equal([5L, 6], recent.Events.Select(e => e.Seq));
        Assert.False(recent.Gap);
        Assert.Equal(6, recent.LatestSeq);

        Assert.False(EventLog.After(state, 2).Gap);
        Assert.True(EventLog.After(state, 1).Gap);
        Assert.True(EventLog.After(state, 99).Gap);
        Assert.Empty(EventLog.After(state, 6).Events);
    }

    [Fact]
    public void Since_answers_only_the_events_appended_from_a_seq_on()
    {
        var state = AppendChanges(new SessionState(), 3);
        Assert.Equal([3L], EventLog.Since(state, 3).Select(e => e.Seq));
        Assert.Empty(EventLog.Since(state, 4));
    }

    /// <summary>
    /// Any sequence of changes and messages leaves the log a model that applies both bounds at every append would: the
    /// newest events within the count, then within the byte budget counted back from the newest (always kept). Appends
    /// without a message skip the byte walk, so this checks that the skip never keeps what the walk would drop.
    /// </summary>
    [Theory]
    [InlineData(4, 0)]
    [InlineData(16, 2)]
    public void Any_sequence_of_appends_keeps_what_both_bounds_allow(int length, int slack)
    {
        var rules = new SessionRules { EventLogLength = length, EventLogMessageBytes = length * 3 };
        Assert.Equal(slack, EventLog.Slack(rules));
        Gen.Int[0, 14].Array[1, 60].Sample(sizes =>
        {
            var state = new SessionState();
            var model = new List<(long Seq, int Bytes)>();
            foreach (var size in sizes)
            {
                // Size 0 to 4: a change without a message; more: a message of (size - 4) bytes.
                var message = size > 4 ? new string('x', size - 4) : null;
                model.Add((state.NextSeq, message?.Length ?? 0));
                state = EventLog.Append(state, message is null ? SessionEventKind.Changed : SessionEventKind.Message, 1, [], message, rules);
                // The count bound in batches: past length + slack, back to length.
                if (model.Count > length + slack) model.RemoveRange(0, model.Count - length);
                var bytes = 0L;
                var oldest = model.Count - 1;
                for (var i = model.Count - 1; i >= 0; i--)
                {
                    bytes += model[i].Bytes;
                    if (bytes > rules.EventLogMessageBytes && i < model.Count - 1) break;
                    oldest = i;
                }
                model.RemoveRange(0, oldest);
                Assert.Equal(model.Select(e => e.Seq), state.Events.Select(e => e.Seq));
            }
        }, iter: 3_000);
    }

    [Fact]
    public void A_long_log_is_trimmed_in_batches_and_never_holds_fewer_than_its_length()
    {
        var rules = new SessionRules { EventLogLength = 64 };
        var state = new SessionState();
        var lengths = new List<int>();
        for (var i = 0; i < 200; i++)
        {
            state = EventLog.Append(state, SessionEventKind.Changed, i, ["k"], null, rules);
            lengths.Add(state.Events.Count);
        }
        Assert.Equal(Enumerable.Range(1, 72), lengths.Take(72));
        Assert.All(lengths.Skip(72), count => Assert.InRange(count, 64, 72));
        // Trimmed 9 at a time: from 72 events and one more back to 64, once every 9 appends (once more on the way up).
        Assert.Equal(1 + 15, lengths.Count(count => count == 64));
        Assert.Equal(state.NextSeq - 1, state.Events[^1].Seq);
    }
}
