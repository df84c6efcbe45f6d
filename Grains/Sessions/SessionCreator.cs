using System.Diagnostics;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

/// <summary>
/// Creates a session by writing its first state, without activating its grain: one storage round trip, no directory
/// registration, no activation. The grain comes to memory at the session's first call, which reads what this wrote, as
/// after a failover or an idle deactivation. A session that is created and never called again (a crawler, a visitor
/// who leaves) never costs an activation.
/// <para>
/// The write is conditional on there being no record (revision 0). When there is one (a creation retried after its first
/// attempt was stored), the answer is null and the caller sends the creation to the grain, which decides as it always
/// did: it reads the session and replays the answer stored under the idempotency key, or answers that the session
/// exists. A creation with a user is the grain's too: the user's index is updated before the write.
/// </para>
/// <para>
/// Silos run it (their routers, a standalone process), and so do a split cluster's front ends, against the same Redis:
/// there a creation costs the front end one storage round trip and the silos nothing.
/// </para>
/// </summary>
public sealed class SessionCreator(ISessionStore store, IOptions<SessionRules> options, TimeProvider clock, SessionMetrics metrics, IGrainFactory grains)
    : ISessionCreator
{
    private static readonly ActivitySource Storage = new(TelemetryNames.StorageSource);
    private readonly SessionRules _rules = options.Value;

    public async Task<Reply<SessionInfo>?> TryStore(string sessionId, SessionCreation creation)
    {
        if (creation.UserId is not null) return null;
        var now = clock.GetUtcNow();
        var built = NewSession.Build(creation, _rules, now);
        if (!built.Succeeded) return built.Failure;
        var first = built.Value;
        var info = new SessionInfo(sessionId, first.Version, first.CreatedAt, now, first.ExpiresAt(now), null);
        var state = NewSession.Stamped(first with
        {
            Ledger = IdempotencyLedger.Record([], creation.IdempotencyKey, NewSession.Operation, NewSession.Fingerprint(creation),
                (Reply<SessionInfo>)info, now, _rules),
        }, now, _rules);
        try
        {
            using var span = Storage.StartActivity("CreateState");
            await store.Write(grains.Reference<ISessionGrain>(sessionId).GetGrainId(), 0, 1, SessionState.None, state);
        }
        catch (InconsistentStateException)
        {
            return null;
        }
        metrics.Created();
        return info;
    }
}
