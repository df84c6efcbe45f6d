using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SessionGrains.Interfaces;

namespace SessionGrains.Direct;

/// <summary>
/// Sends session calls under one deadline per request and retries across silo failures. Standalone: straight to the
/// grain in this process. Cluster: to the <see cref="ISessionRouter"/> of the silo <see cref="SessionRouting"/> picks,
/// which hosts the session, so a call takes one hop. A combined node (a front end with a silo of the cluster in its
/// process, <see cref="ILocalSessionHomes"/>): straight to the grain, which Orleans finds on its home silo, here or one
/// hop away; new sessions get ids whose home is this silo. Wherever the grain is active in this very process, the call
/// runs on its scheduler without Orleans' messaging (<see cref="LocalSessionGrains"/>). Retrying a write is safe because
/// every write carries an idempotency key (the client's or the front end's).
/// </summary>
public sealed partial class SessionGateway(
    IGrainFactory grains, IOptions<SessionCallOptions> options, ILogger<SessionGateway> logger, SessionRouting? routing = null, ISessionCallMetrics? metrics = null,
    ILocalSessionHomes? localHomes = null, INewSessionIds? newIds = null, ISessionCreator? creator = null, LocalSessionGrains? local = null)
{
    private readonly SessionCallOptions _options = options.Value;
    private readonly LocalSessionGrains? _local = Using(local);

    /// <summary>Draining silos skipped in a row before the call is treated as failed (one per silo stopping at once).</summary>
    private const int MaxRedirects = 8;

    public async Task<TResult> Call<TResult>(string sessionId, SessionCall<TResult> call, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetUtcNow() + _options.CallDeadline;
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var remaining = deadline - TimeProvider.System.GetUtcNow();
            var router = routing?.RouterFor(sessionId);
            // Cancelled if a silo is seen gone while the call is in flight (its gateway refuses connections).
            var gone = routing?.SiloLost ?? CancellationToken.None;
            var goneBefore = gone.IsCancellationRequested;
            using var attemptToken = gone.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, gone) : null;
            try
            {
                var limit = remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
                if (router is null && _local is not null && _local.TryGet(sessionId, out var here))
                {
                    // On the grain's scheduler in this process; through Orleans if the activation is deactivating.
                    var (ran, result) = await here.TryRun(call.On).WaitAsync(limit, attemptToken?.Token ?? cancellationToken);
                    if (ran) return result;
                    limit = deadline - TimeProvider.System.GetUtcNow();
                    if (limit < TimeSpan.Zero) limit = TimeSpan.Zero;
                }
                var sent = router is not null ? call.Via(router, sessionId) : call.On(grains.Reference<ISessionGrain>(sessionId));
                return await sent.WaitAsync(limit, attemptToken?.Token ?? cancellationToken);
            }
            catch (OperationCanceledException) when (!goneBefore && gone.IsCancellationRequested && !cancellationToken.IsCancellationRequested && attempt < MaxRedirects)
            {
                // A silo died while the call was in flight, perhaps the one holding the session: what it did there is stored or lost
                // with it, and the write's idempotency key makes the repeat apply once. Sent again at once (to the next silo in
                // rank if its router was the dead one) instead of after the response timeout.
                LogRetry("GatewayGone", sessionId, attempt);
                metrics?.Retried("GatewayGone");
            }
            catch (SiloDrainingException) when (router is not null && attempt < MaxRedirects)
            {
                // Nothing was done: the silo is handing its sessions to the next in rank, so go there at once.
                routing!.Suspect(router);
                metrics?.Retried(nameof(SiloDrainingException));
            }
            catch (Exception ex) when ((GrainFailures.IsTransient(ex) || ex is OperationCanceledException && goneBefore && !cancellationToken.IsCancellationRequested)
                && deadline - TimeProvider.System.GetUtcNow() > delay)
            {
                if (router is not null && IsSiloFailure(ex)) routing!.Suspect(router);
                LogRetry(ex.GetType().Name, sessionId, attempt);
                metrics?.Retried(ex.GetType().Name);
                await Task.Delay(delay, cancellationToken);
                delay = delay * 2 < _options.MaxRetryDelay ? delay * 2 : _options.MaxRetryDelay;
            }
        }
    }

    /// <summary>
    /// Whether a call of <paramref name="sessionId"/> would run in this process now (its grain is active here, not through a
    /// router). A write's retries then reach the same activation, which keeps answers under a local idempotency key in memory.
    /// </summary>
    public bool RunsHere(string sessionId) => routing is null && _local is not null && _local.TryGet(sessionId, out _);

    /// <summary>
    /// The lease of <paramref name="sessionId"/>, taken at once on this thread when the session is active in this process
    /// and its grain offers the lease (<see cref="ILocalSessionGrain.TryAcquireNow"/>); null: ask the grain (<see cref="Call{TResult}"/>).
    /// </summary>
    public LeaseGranted? TryAcquireHere(string sessionId, string leaseId, TimeSpan ttl) =>
        routing is null && _local is not null && _local.TryGet(sessionId, out var here) && here.TryAcquireNow(leaseId, ttl, out var granted) ? granted : null;

    private static LocalSessionGrains? Using(LocalSessionGrains? local)
    {
        local?.Use();
        return local;
    }

    /// <summary>
    /// Creates the session <paramref name="sessionId"/> (an id from <see cref="NewId"/>). A split cluster's front end and a
    /// standalone process store it without activating it (<see cref="ISessionCreator"/>, one storage write from this
    /// process): its first call, which the front ends send to its home silo, activates it there. When the grain must decide
    /// (a retried creation, a user to index), the creation goes to it, through the silo's router in a cluster. A combined
    /// node creates through the grain, so that it is activated here, its home: its first call may come through another
    /// node, whose silo would otherwise activate it there. Without a creator (an Orleans client of the cluster that did not
    /// register one), through the router, which stores it.
    /// </summary>
    public Task<Reply<SessionInfo>> Create(string sessionId, SessionCreation creation, CancellationToken cancellationToken) =>
        Call<Reply<SessionInfo>>(sessionId, localHomes is null && creator is not null
            ? new StoredCreate(creator, sessionId, creation)
            : new SessionCalls.Create(creation), cancellationToken);

    /// <summary>A creation written from this process; the grain (or the router) only when the creator leaves it to them.</summary>
    private sealed record StoredCreate(ISessionCreator Creator, string SessionId, SessionCreation Creation) : SessionCall<Reply<SessionInfo>>
    {
        public override async Task<Reply<SessionInfo>> On(ISessionGrain session) =>
            await Creator.TryStore(SessionId, Creation) ?? await session.Create(Creation);

        public override async Task<Reply<SessionInfo>> Via(ISessionRouter router, string sessionId) =>
            await Creator.TryStore(SessionId, Creation) ?? await router.Create(sessionId, Creation);
    }

    /// <summary>Ids tried for one whose home is the wanted silo; past them, the last one is used wherever it lives.</summary>
    private const int IdTries = 64;

    /// <summary>The id of a new session: on a combined node, one whose home is this silo (its calls then stay in this process).</summary>
    public string NewId()
    {
        var id = SessionTokens.NewId();
        for (var tries = 0; localHomes is not null && tries < IdTries && !localHomes.IsHomedHere(id); tries++) id = SessionTokens.NewId();
        // In a silo's process the session is placed from here: the directory need not be asked about an id made just now.
        newIds?.Minted(id);
        return id;
    }

    /// <summary>A new session id that is routed like <paramref name="sessionId"/>, so that a rotated session stays on its silo.</summary>
    public string NewIdNear(string sessionId)
    {
        var id = SessionTokens.NewId();
        for (var tries = 0; tries < IdTries && !SameRoute(sessionId, id); tries++) id = SessionTokens.NewId();
        return id;
    }

    private bool SameRoute(string a, string b) =>
        routing is not null ? routing.SameRoute(a, b) : localHomes is null || localHomes.SameHome(a, b);

    /// <summary>
    /// Failures that say the silo (not the session or its storage) could not be reached. Not a cancellation: that comes from
    /// <see cref="SessionRouting.SiloLost"/>, some other silo's death.
    /// </summary>
    private static bool IsSiloFailure(Exception ex) => ex is SiloUnavailableException or TimeoutException
        or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException or ClientNotAvailableException;

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Retrying session {SessionId} after {Failure} (attempt {Attempt})")]
    private partial void LogRetry(string failure, string sessionId, int attempt);
}

/// <summary>Deadline and retry pauses of <see cref="SessionGateway"/> calls.</summary>
public sealed class SessionCallOptions
{
    /// <summary>Deadline of one request's grain work, retries included; well under Orleans' 30 s response timeout.</summary>
    public TimeSpan CallDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First pause before retrying a grain call that failed because a silo went away; doubles each time.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest pause between retries.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Counts the retries of <see cref="SessionGateway"/> (the front end's metrics); optional.</summary>
public interface ISessionCallMetrics
{
    /// <summary>A call is tried again after <paramref name="failure"/> (the exception's type name).</summary>
    void Retried(string failure);
}
