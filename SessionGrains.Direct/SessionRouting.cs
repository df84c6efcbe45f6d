using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;
using SessionGrains.Interfaces;

namespace SessionGrains.Direct;

/// <summary>
/// Cluster mode: picks, for each session id, the silo whose <see cref="ISessionRouter"/> the front end calls. Every
/// front end ranks the live gateways the same way (<see cref="SessionHomes"/>, which the silos use too),
/// so all of them send a session's calls to the same silo, where the session is activated; a silo that joins or
/// leaves moves only its share of sessions. A gateway whose call just failed is skipped for a while, and the next in
/// rank is used, so a failover does not wait for the gateway list to be refreshed. A gateway the Orleans client does not
/// count as live yet (<see cref="ClientGatewayView"/>: just joined, or restarted on the same port) is skipped too.
/// </summary>
public sealed partial class SessionRouting(
    IGatewayListProvider gateways, IGrainFactory grains, ClientGatewayView client, IOptions<GatewayOptions> gatewayOptions, ILogger<SessionRouting> logger)
    : BackgroundService
{
    /// <summary>How often the gateway list is read from the membership table (also at once when the connection count changes).</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromSeconds(5);

    /// <summary>How long a gateway is skipped after a call through it failed.</summary>
    public static readonly TimeSpan SuspectFor = TimeSpan.FromSeconds(10);

    /// <summary>Added to the client's gateway list period before a new gateway is routed to (the client's read takes time too).</summary>
    private static readonly TimeSpan ClientCatchUpMargin = TimeSpan.FromSeconds(1);

    private volatile Route[] _routes = [];
    /// <summary>When each gateway endpoint last refused a connection.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<System.Net.IPEndPoint, long> _goneAt = new();
    private readonly SemaphoreSlim _refresh = new(0);

    /// <summary>The router for <paramref name="sessionId"/>; null until the first gateway list is read.</summary>
    public ISessionRouter? RouterFor(string sessionId)
    {
        var routes = _routes;
        if (routes.Length == 0) return null;
        var now = Environment.TickCount64;
        // Three tiers, each by rank: eligible routes; then suspect ones or ones the client does not count as live yet (a
        // failed call is often not its silo's fault: a live silo's call to a session on a dead silo fails too); then, last,
        // gateways that refused a connection, where no process listens.
        Route? best = null, bestSuspect = null, bestGone = null;
        ulong bestScore = 0, bestSuspectScore = 0, bestGoneScore = 0;
        foreach (var route in routes)
        {
            var score = SessionHomes.Score(sessionId, route.Seed);
            if (route.Gone)
            {
                if (bestGone is null || score > bestGoneScore) (bestGone, bestGoneScore) = (route, score);
            }
            else if (route.SuspectUntil > now || !client.Admits(route.Address.Endpoint) || route.AwaitingReport(client.ReportedAt))
            {
                if (bestSuspect is null || score > bestSuspectScore) (bestSuspect, bestSuspectScore) = (route, score);
            }
            else if (best is null || score > bestScore)
            {
                (best, bestScore) = (route, score);
            }
        }
        bestSuspect ??= bestGone;
        if (best is null) LogNoEligibleRoute(sessionId, bestSuspect!.Address.Endpoint, bestSuspect.Generation);
        return (best ?? bestSuspect)!.Router;
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> are routed to the same silo (used to keep a rotated session where it was).</summary>
    public bool SameRoute(string a, string b) => ReferenceEquals(RouterFor(a), RouterFor(b));

    /// <summary>A call through <paramref name="router"/> failed as if its silo were gone: skip it for a while, and re-read the list.</summary>
    public void Suspect(ISessionRouter router)
    {
        foreach (var route in _routes)
        {
            if (ReferenceEquals(route.Router, router)) route.SuspectUntil = Environment.TickCount64 + (long)SuspectFor.TotalMilliseconds;
        }
        RefreshSoon();
    }

    /// <summary>Asks for the gateway list to be read again now (gateway connections opened or closed).</summary>
    public void RefreshSoon() => _refresh.Release();

    /// <summary>
    /// Cancelled once some routed gateway refuses connections: no process listens there, the silo is gone, and a call in
    /// flight to it will never be answered. Every call in flight is then sent again at once rather than after the response
    /// timeout, not only those addressed to that silo: a call through a live silo may have been forwarded to a session
    /// activation on the dead one, and the front end cannot tell which. A silo that is alive but slow or frozen still
    /// accepts connections and never triggers this. A new token is handed out after each cancellation.
    /// </summary>
    public CancellationToken SiloLost => _siloLost.Token;

    private CancellationTokenSource _siloLost = new();

    /// <summary>A gateway connection of the Orleans client closed or opened: checks every routed gateway (<see cref="CheckGateway"/>).</summary>
    public void CheckGateways()
    {
        foreach (var route in _routes) CheckSoon(route);
    }

    /// <summary>The Orleans client starts a connection to a gateway (the one it had broke, or a new one): check that one.</summary>
    private void OnConnecting(SiloAddress gateway)
    {
        foreach (var route in _routes)
        {
            if (route.Address.Endpoint.Equals(gateway.Endpoint)) CheckSoon(route);
        }
    }

    private void CheckSoon(Route route)
    {
        if (route.Gone || Interlocked.Exchange(ref route.Checking, 1) == 1) return;
        _ = CheckGateway(route);
    }

    /// <summary>
    /// Checks a gateway a few times over about 1.5 s, not once: a killed process closes its connections and its listening
    /// port one after the other, and a check made in between is accepted by a process that is already gone.
    /// </summary>
    private async Task CheckGateway(Route route)
    {
        try
        {
            foreach (var pause in CheckPauses)
            {
                if (pause > TimeSpan.Zero) await Task.Delay(pause);
                if (route.Gone) return;
                if (!await ConnectionAttempts.Refuses(route.Address.Endpoint, GatewayCheckTimeout)) continue;
                // Refused: no process listens there. A slow, frozen or partitioned silo still accepts (or does not answer),
                // and is left to the response timeout and membership.
                route.SuspectUntil = Environment.TickCount64 + (long)SuspectFor.TotalMilliseconds;
                route.Gone = true;
                _goneAt[route.Address.Endpoint] = Environment.TickCount64;
                LogGatewayGone(route.Address.Endpoint);
                await Interlocked.Exchange(ref _siloLost, new CancellationTokenSource()).CancelAsync();
                return;
            }
        }
        finally
        {
            Volatile.Write(ref route.Checking, 0);
        }
    }

    /// <summary>Pauses before each check of one gateway after a sign that it may be gone.</summary>
    private static readonly TimeSpan[] CheckPauses = [.. new[] { 0, 100, 200, 400, 800 }.Select(ms => TimeSpan.FromMilliseconds(ms))];

    /// <summary>How long a check of a gateway's port waits for the connection; a refusal comes at once.</summary>
    private static readonly TimeSpan GatewayCheckTimeout = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var attempts = new ConnectionAttempts(OnConnecting);
        var initialized = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Retried with the list itself: a membership store that is briefly unreachable must not end routing.
                if (!initialized) await gateways.InitializeGatewayListProvider();
                initialized = true;
                Update(await gateways.GetGateways());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRefreshFailed(ex);
            }
            try
            {
                await _refresh.WaitAsync(RefreshPeriod, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            while (_refresh.Wait(0))
            {
                // Several requests for a refresh while one was running: one refresh serves them all.
            }
        }
    }

    private void Update(IList<Uri> uris)
    {
        var previous = _routes;
        var next = new List<Route>(uris.Count);
        foreach (var uri in uris)
        {
            // The client knows gateways by endpoint only (generation 0); a call to that address goes straight to that gateway.
            if (uri.ToGatewayAddress() is not { } address) continue;
            // The URI's path is the silo's generation: a silo restarted on the same port is a new route, not a suspect one.
            var generation = int.TryParse(uri.AbsolutePath.AsSpan().Trim('/'), out var g) ? g : 0;
            var known = Array.Find(previous, r => r.Address.Equals(address) && r.Generation == generation);
            if (known is null)
            {
                known = new Route(address, generation, SessionHomes.Seed(address.Endpoint), grains.GetGrain<ISessionRouter>(SessionRouterAddress.For(address)));
                // A call addressed to a gateway the client does not count as live goes through another gateway, which cannot
                // deliver it, and waits for the response timeout. RouterFor asks the client's own view; without one, a
                // silo that joined is used once the client has surely read the gateway list too (it does so on its own period).
                if (previous.Length > 0 && !client.Reporting)
                    known.SuspectUntil = Environment.TickCount64 + (long)(gatewayOptions.Value.GatewayListRefreshPeriod + ClientCatchUpMargin).TotalMilliseconds;
                // A silo restarted where one was killed: the client's report from before the kill still lists the endpoint,
                // though the client counts it out since its connection failed. Wait for a report made after this moment.
                else if (_goneAt.TryGetValue(address.Endpoint, out var goneAt) && goneAt >= client.ReportedAt)
                    known.AwaitReportAfter = Environment.TickCount64;
            }
            next.Add(known);
        }
        if (next.Count > 0) _routes = [.. next];
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var now = Environment.TickCount64;
            LogRoutes(string.Join(", ", next.Select(r => $"{r.Address.Endpoint}/{r.Generation}{(r.Gone ? " gone" : "")}{(r.SuspectUntil > now ? " suspect" : "")}{(client.Admits(r.Address.Endpoint) && !r.AwaitingReport(client.ReportedAt) ? "" : " not-admitted")}")));
        }
    }

    private sealed class Route(SiloAddress address, int generation, long seed, ISessionRouter router)
    {
        public SiloAddress Address { get; } = address;
        public int Generation { get; } = generation;
        public long Seed { get; } = seed;
        public ISessionRouter Router { get; } = router;
        public long SuspectUntil { get; set; }

        /// <summary>Not routed to until the client reports its live gateways after this tick (0: no wait).</summary>
        public long AwaitReportAfter { get; set; }

        public bool AwaitingReport(long reportedAt) => AwaitReportAfter > 0 && AwaitReportAfter >= reportedAt;

        /// <summary>1 while <see cref="CheckGateway"/> runs for this route.</summary>
        public int Checking;

        /// <summary>This gateway (this generation of the silo) refused a connection.</summary>
        public bool Gone { get; set; }
    }

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Gateway {Gateway} refuses connections: the calls in flight are sent again")]
    private partial void LogGatewayGone(System.Net.IPEndPoint gateway);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Debug, Message = "No eligible gateway for session {SessionId}: using {Gateway} (generation {Generation}), which is suspect or not live for the client")]
    private partial void LogNoEligibleRoute(string sessionId, System.Net.IPEndPoint gateway, int generation);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Debug, Message = "Routes: {Routes}")]
    private partial void LogRoutes(string routes);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Could not read the gateway list; routing with the previous one")]
    private partial void LogRefreshFailed(Exception ex);
}
