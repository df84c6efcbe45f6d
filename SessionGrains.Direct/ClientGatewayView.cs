using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Reflection;
using SessionGrains.Interfaces;
using Orleans.Runtime;

namespace SessionGrains.Direct;

/// <summary>
/// The gateways this front end's Orleans client will send to: its own "live" set, which it reports on the diagnostic
/// listener <c>Orleans.Gateway</c> (event <c>GatewayListUpdated</c>) at start and each time it reads the gateway list.
/// <para>
/// It matters because a call addressed to one silo's gateway (the <see cref="ISessionRouter"/> of that silo)
/// is sent through some other gateway when the client does not count that one as live, and the other silo cannot
/// deliver it: the call waits out the response timeout (3 s). The client leaves a gateway out for a while after its
/// connection failed, and only takes a new or restarted one in on its next read of the list, so a silo that has just
/// joined or restarted on the same port is routed to only once this view has it.
/// </para>
/// Before the first report (or if a later Orleans stops reporting) <see cref="Admits"/> admits every gateway, and
/// <see cref="SessionRouting"/> falls back to waiting a gateway-list period before using a new gateway.
/// </summary>
public sealed partial class ClientGatewayView : IDisposable
{
    private const string ListenerName = "Orleans.Gateway";
    private const string EventName = "GatewayListUpdated";

    private static readonly ConcurrentDictionary<Type, (FieldInfo? Source, FieldInfo? Live)> Fields = new();

    private readonly object? _gatewayManager;
    private readonly DiagnosticEvent _events;
    private readonly ILogger<ClientGatewayView> _logger;
    private volatile HashSet<IPEndPoint>? _live;

    /// <param name="services">The front end's services, where the Orleans client's gateway manager lives: reports of any
    /// other client in the process (a test's, say) are ignored.</param>
    public ClientGatewayView(IServiceProvider services, ILogger<ClientGatewayView> logger)
    {
        _logger = logger;
        var managerType = typeof(IClusterClient).Assembly.GetType("Orleans.Messaging.GatewayManager");
        _gatewayManager = managerType is null ? null : services.GetService(managerType);
        _events = new DiagnosticEvent(ListenerName, EventName, OnReport);
    }

    /// <summary><see cref="Environment.TickCount64"/> of the client's latest report (0 before the first).</summary>
    public long ReportedAt => Volatile.Read(ref _reportedAt);

    private long _reportedAt;

    /// <summary>Whether the client has reported its live gateways at least once.</summary>
    public bool Reporting => _live is not null;

    /// <summary>Whether the client would send a call addressed to this gateway straight to it (true when it has not reported yet).</summary>
    public bool Admits(IPEndPoint gateway) => _live?.Contains(gateway) ?? true;

    private void Update(IEnumerable<SiloAddress> live)
    {
        HashSet<IPEndPoint> next = [.. live.Select(a => a.Endpoint)];
        var previous = _live;
        _live = next;
        Volatile.Write(ref _reportedAt, Environment.TickCount64);
        if (previous is null || !previous.SetEquals(next)) LogLive(string.Join(", ", next.Select(e => e.ToString()).Order()));
    }

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "The Orleans client counts these gateways as live: {Gateways}")]
    private partial void LogLive(string gateways);

    private void OnReport(object payload)
    {
        var (source, live) = Fields.GetOrAdd(payload.GetType(), type => (type.GetField("Source"), type.GetField("LiveGateways")));
        if (_gatewayManager is not null && source?.GetValue(payload) is { } reporter && !ReferenceEquals(reporter, _gatewayManager)) return;
        if (live?.GetValue(payload) is IEnumerable<SiloAddress> gateways) Update(gateways);
    }

    public void Dispose() => _events.Dispose();
}
