using System.Runtime.InteropServices;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// A session's event log: sequence numbers increase by one per event, session-wide; the log keeps the most recent
/// events, bounded in count and in message bytes (it is stored with every change). Pure: a new state is answered.
/// </summary>
public static class EventLog
{
    public static SessionState Append(SessionState state, SessionEventKind kind, long version, string[] keys, string? messageJson, SessionRules rules) =>
        state with { Events = Appended(state, kind, version, keys, messageJson, rules), NextSeq = state.NextSeq + 1 };

    /// <summary>
    /// The log of <paramref name="state"/> with one more event (its seq: <see cref="SessionState.NextSeq"/>), within both
    /// bounds. The count is trimmed in batches: a log of <see cref="SessionRules.EventLogLength"/> events grows by an eighth
    /// of it (<see cref="Slack"/>) before its oldest events go, all at once, back to the length. Storage then deletes trimmed
    /// events once every few appends instead of one with each, and a resume can reach a little further back.
    /// </summary>
    public static List<SessionEvent> Appended(SessionState state, SessionEventKind kind, long version, string[] keys, string? messageJson, SessionRules rules)
    {
        var skip = state.Events.Count + 1 > rules.EventLogLength + Slack(rules) ? state.Events.Count + 1 - rules.EventLogLength : 0;
        var kept = state.Events.Count - skip;
        // One block copy of the kept events (a write's most frequent work on a long log), then the new one.
        var events = new List<SessionEvent>(kept + 1);
        CollectionsMarshal.SetCount(events, kept);
        CollectionsMarshal.AsSpan(state.Events).Slice(skip, kept).CopyTo(CollectionsMarshal.AsSpan(events));
        events.Add(new SessionEvent(state.NextSeq, kind, version, keys, messageJson));

        // An event without a message adds no bytes to a log that kept within the budget when it was made: no walk.
        if (messageJson is null) return events;

        // Walking back from the newest event (always kept), drop everything older than where the byte budget runs out.
        var bytes = 0L;
        var oldestKept = events.Count - 1;
        for (var i = events.Count - 1; i >= 0; i--)
        {
            bytes += events[i].MessageJson?.Length ?? 0;
            if (bytes > rules.EventLogMessageBytes && i < events.Count - 1) break;
            oldestKept = i;
        }
        if (oldestKept > 0) events.RemoveRange(0, oldestKept);
        return events;
    }

    /// <summary>How many events past <see cref="SessionRules.EventLogLength"/> a log holds before it is trimmed back to it (none for logs under 8).</summary>
    public static int Slack(SessionRules rules) => rules.EventLogLength / 8;

    /// <summary>The events after <paramref name="afterSeq"/>; a gap when the log no longer reaches back, or the seq is from the future.</summary>
    public static EventPage After(SessionState state, long afterSeq)
    {
        var latest = state.NextSeq - 1;
        var oldestKept = state.Events.Count > 0 ? state.Events[0].Seq : state.NextSeq;
        var events = state.Events.Where(e => e.Seq > afterSeq).ToList();
        return new EventPage(latest, events, afterSeq < oldestKept - 1 || afterSeq > latest);
    }

    /// <summary>The events <paramref name="next"/> has that were appended from <paramref name="firstNewSeq"/> on.</summary>
    public static IReadOnlyList<SessionEvent> Since(SessionState next, long firstNewSeq)
    {
        var events = next.Events;
        if (events.Count == 0 || events[^1].Seq < firstNewSeq) return [];
        return events.Where(e => e.Seq >= firstNewSeq).ToList();
    }
}
