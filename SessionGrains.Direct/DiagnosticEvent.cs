using System.Diagnostics;

namespace SessionGrains.Direct;

/// <summary>
/// One event of one diagnostic listener of this process (Orleans reports its gateway list and its connection attempts
/// this way), handed to a callback until disposed. A listener created later (a client started after this) is picked up
/// when it appears.
/// </summary>
public sealed class DiagnosticEvent : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly string _listenerName;
    private readonly string _eventName;
    private readonly Action<object> _onPayload;
    private readonly IDisposable _listeners;
    private IDisposable? _subscription;

    public DiagnosticEvent(string listenerName, string eventName, Action<object> onPayload)
    {
        (_listenerName, _eventName, _onPayload) = (listenerName, eventName, onPayload);
        _listeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name != _listenerName) return;
        var previous = Interlocked.Exchange(ref _subscription, listener.Subscribe(this, name => name == _eventName));
        previous?.Dispose();
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == _eventName && value.Value is { } payload) _onPayload(payload);
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
