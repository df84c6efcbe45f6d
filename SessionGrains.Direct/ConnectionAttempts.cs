using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Orleans.Runtime;

namespace SessionGrains.Direct;

/// <summary>
/// Reports each connection attempt the Orleans runtime of this process starts to a silo or gateway: the diagnostic
/// listener <c>Orleans.Connections</c>, event <c>Connecting</c>. An attempt follows at once when a connection breaks (the
/// runtime reconnects for the next message or membership probe), so it is the earliest sign that a peer may be gone;
/// whoever listens checks with <see cref="Refuses"/> whether anything still listens there. The payload type is internal
/// to Orleans; its <see cref="SiloAddress"/> member is read by reflection (the usual way to consume a DiagnosticSource),
/// and a payload without one is ignored. <c>ClientGatewayViewTests</c> and <c>PeerDeathTests</c> run real processes, so
/// an Orleans change that stops these events fails a test.
/// </summary>
public sealed class ConnectionAttempts : IDisposable
{
    private const string ListenerName = "Orleans.Connections";
    private const string EventName = "Connecting";

    private static readonly ConcurrentDictionary<Type, Func<object, SiloAddress?>> Readers = new();

    private readonly DiagnosticEvent _events;

    public ConnectionAttempts(Action<SiloAddress> onAttempt) =>
        _events = new DiagnosticEvent(ListenerName, EventName, payload =>
        {
            if (Readers.GetOrAdd(payload.GetType(), ReaderFor)(payload) is { } address) onAttempt(address);
        });

    /// <summary>
    /// True when a TCP connection to <paramref name="endpoint"/> is refused: no process listens there. False when it is
    /// accepted, and when it is not answered within <paramref name="timeout"/> (a slow or unreachable host is not proof).
    /// </summary>
    public static async Task<bool> Refuses(IPEndPoint endpoint, TimeSpan timeout)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, cancel.Token);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private static Func<object, SiloAddress?> ReaderFor(Type type)
    {
        var field = type.GetFields(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(f => f.FieldType == typeof(SiloAddress));
        if (field is not null) return payload => field.GetValue(payload) as SiloAddress;
        var property = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(p => p.PropertyType == typeof(SiloAddress));
        if (property is not null) return payload => property.GetValue(payload) as SiloAddress;
        return static _ => null;
    }

    public void Dispose() => _events.Dispose();
}
