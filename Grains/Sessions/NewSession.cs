using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// The first state of a session, as a pure function of its creation: what the grain writes when it creates a session
/// (<see cref="SessionGrain"/>) and what <see cref="SessionCreator"/> writes without activating one.
/// </summary>
public static class NewSession
{
    public const string Operation = "create";

    /// <summary>The creation's fingerprint in the idempotency ledger: its data in key order, idle timeout and user.</summary>
    public static ulong Fingerprint(SessionCreation creation) =>
        IdempotencyLedger.Fingerprint([.. creation.Data.OrderBy(e => e.Key, StringComparer.Ordinal).SelectMany(e => new[] { e.Key, e.Value }),
            creation.IdleTimeout?.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), creation.UserId]);

    /// <summary>
    /// The session <paramref name="creation"/> makes at <paramref name="now"/>, before its ledger entry and storage
    /// stamps; or the failure (idle timeout or data out of the rules) that creates nothing.
    /// </summary>
    public static Reply<SessionState> Build(SessionCreation creation, SessionRules rules, DateTimeOffset now)
    {
        var idle = creation.IdleTimeout ?? rules.DefaultIdleTimeout;
        if (!rules.AllowsIdleTimeout(idle)) return new SessionFailure(SessionStatus.InvalidArgument, rules.IdleTimeoutRule);
        var data = SessionDataRules.Create(creation.Data, rules);
        if (!data.Succeeded) return data.Failure;
        return new SessionState
        {
            Data = data.Value.Data,
            Version = 1,
            CreatedAt = now,
            LastAccessAt = now,
            IdleTimeout = idle,
            AbsoluteExpiry = now + rules.AbsoluteLifetime,
            UserId = creation.UserId,
        };
    }

    /// <summary>
    /// <paramref name="next"/> as storage is given it: last accessed at <paramref name="lastAccess"/>, and purgeable
    /// (without asking the grain) once it has expired and a grace has passed, or once its tombstone lapses.
    /// </summary>
    public static SessionState Stamped(SessionState next, DateTimeOffset lastAccess, SessionRules rules)
    {
        var purgeAfter = PurgeAfter(next, lastAccess, rules);
        // A state built with its stamps already (a data change) is not copied again.
        return next.LastAccessAt == lastAccess && next.PurgeAfter == purgeAfter ? next : next with { LastAccessAt = lastAccess, PurgeAfter = purgeAfter };
    }

    /// <summary>When storage may drop <paramref name="state"/> last accessed at <paramref name="lastAccess"/> (see <see cref="Stamped"/>).</summary>
    public static DateTimeOffset PurgeAfter(SessionState state, DateTimeOffset lastAccess, SessionRules rules) =>
        (state.Tombstone is { } tombstone
            ? tombstone.KeepUntil
            : Min(state.ExpiresAt(lastAccess) + state.IdleTimeout / 2, state.AbsoluteExpiry)) + rules.PurgeGrace;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
