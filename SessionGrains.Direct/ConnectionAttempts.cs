using System.Collections.Concurrent;
using System.Diagnostics;
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
public sealed class ConnectionAttempts : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private const string ListenerName = "Orleans.Connections";
    private const string EventName = "Connecting";

    private static readonly ConcurrentDictionary<Type, Func<object, SiloAddress?>> Readers = new();

    private readonly Action<SiloAddress> _onAttempt;
    private readonly IDisposable _listeners;
    private IDisposable? _subscription;

    public ConnectionAttempts(Action<SiloAddress> onAttempt)
    {
        _onAttempt = onAttempt;
        _listeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

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

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name != ListenerName) return;
        var previous = Interlocked.Exchange(ref _subscription, listener.Subscribe(this, name => name == EventName));
        previous?.Dispose();
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key != EventName || value.Value is not { } payload) return;
        if (Readers.GetOrAdd(payload.GetType(), ReaderFor)(payload) is { } address) _onAttempt(address);
    }

    private static Func<object, SiloAddress?> ReaderFor(Type type)
    {
        var field = type.GetFields(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(f => f.FieldType == typeof(SiloAddress));
        if (field is not null) return payload => field.GetValue(payload) as SiloAddress;
        var property = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(p => p.PropertyType == typeof(SiloAddress));
        if (property is not null) return payload => property.GetValue(payload) as SiloAddress;
        return static _ => null;
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _listeners.Dispose();
        Interlocked.Exchange(ref _subscription, null)?.Dispose();
    }
}
