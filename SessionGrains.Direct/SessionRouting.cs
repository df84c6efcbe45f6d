using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
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
    private readonly SemaphoreSlim _refresh = new(0);

    /// <summary>The router for <paramref name="sessionId"/>; null until the first gateway list is read.</summary>
    public ISessionRouter? RouterFor(string sessionId)
    {
        var routes = _routes;
        if (routes.Length == 0) return null;
        var now = Environment.TickCount64;
        Route? best = null, bestSuspect = null;
        ulong bestScore = 0, bestSuspectScore = 0;
        foreach (var route in routes)
        {
            var score = SessionHomes.Score(sessionId, route.Seed);
            if (route.SuspectUntil > now || !client.Admits(route.Address.Endpoint))
            {
                if (bestSuspect is null || score > bestSuspectScore) (bestSuspect, bestSuspectScore) = (route, score);
            }
            else if (best is null || score > bestScore)
            {
                (best, bestScore) = (route, score);
            }
        }
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

    /// <summary>
    /// A gateway connection of the Orleans client closed or opened: tries a TCP connection to every routed gateway, and
    /// cancels <see cref="SiloLost"/> for one whose connection is refused.
    /// </summary>
    public void CheckGateways()
    {
        foreach (var route in _routes)
        {
            if (!route.Gone) _ = CheckGateway(route);
        }
    }

    private async Task CheckGateway(Route route)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(GatewayCheckTimeout);
        try
        {
            await socket.ConnectAsync(route.Address.Endpoint, timeout.Token);
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            route.SuspectUntil = Environment.TickCount64 + (long)SuspectFor.TotalMilliseconds;
            if (route.Gone) return;
            route.Gone = true;
            LogGatewayGone(route.Address.Endpoint);
            await Interlocked.Exchange(ref _siloLost, new CancellationTokenSource()).CancelAsync();
        }
        catch (Exception)
        {
            // Accepted slowly, unreachable or timed out: a slow or partitioned silo, left to the response timeout and membership.
        }
    }

    /// <summary>How long a check of a gateway's port waits for the connection; a refusal comes at once.</summary>
    private static readonly TimeSpan GatewayCheckTimeout = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
            }
            next.Add(known);
        }
        if (next.Count > 0) _routes = [.. next];
    }

    private sealed class Route(SiloAddress address, int generation, long seed, ISessionRouter router)
    {
        public SiloAddress Address { get; } = address;
        public int Generation { get; } = generation;
        public long Seed { get; } = seed;
        public ISessionRouter Router { get; } = router;
        public long SuspectUntil { get; set; }

        /// <summary>This gateway (this generation of the silo) refused a connection.</summary>
        public bool Gone { get; set; }
    }

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Gateway {Gateway} refuses connections: the calls in flight are sent again")]
    private partial void LogGatewayGone(System.Net.IPEndPoint gateway);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Could not read the gateway list; routing with the previous one")]
    private partial void LogRefreshFailed(Exception ex);
}
