using SessionGrains.Interfaces;

namespace SessionGrains.Grains;

// The end of a session's record: expiry and forgetting, each once at a time, after the changes before them settled.
public sealed partial class SessionGrain
{
    private Task Expire() => _ending ?? End(expire: true);

    private Task Forget() => _ending ?? End(expire: false);

    /// <summary>Expiry or forgetting runs once at a time: calls that find the session ending meanwhile wait for the same end.</summary>
    private Task End(bool expire)
    {
        var ending = expire ? ExpireNow() : ForgetNow();
        if (!ending.IsCompleted) _ending = ending;
        return ending;
    }

    private async Task ExpireNow()
    {
        try
        {
            // No change is admitted once the session has expired; the ones admitted before settle first.
            await Settled();
            LogSessionEnded(Id, "expired");
            _metrics.Expired();
            CountActive(false);
            if (_subscribers is not null) await _subscribers.Notify(Id, [new SessionEvent(S.NextSeq, SessionEventKind.Expired, S.Version, [], null)]);
            if (S.UserId is { } userId) await UserIndex(userId).Remove(Id);
            await EndJobs(S);
            await ForgetNow();
        }
        finally
        {
            _ending = null;
        }
    }

    /// <summary>Deletes the stored state and lets the activation go.</summary>
    private async Task ForgetNow()
    {
        WithdrawOffer();
        try
        {
            _expiryTimer?.Dispose();
            _expiryTimer = null;
            try
            {
                await ClearStoredState();
            }
            catch (Exception ex)
            {
                // Storage purges the record by itself after PurgeAfter; the session is gone either way.
                LogClearFailed(ex, Id);
            }
            _state = _stored = SessionState.None;
            _subscribers?.Clear();
            DeactivateOnIdle();
        }
        finally
        {
            _ending = null;
        }
    }
}
