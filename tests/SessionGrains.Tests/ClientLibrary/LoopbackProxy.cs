using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SessionGrains.Tests.ClientLibrary;

/// <summary>A TCP forwarder on a free loopback port whose connections a test can cut, as a network failure would.</summary>
public sealed class LoopbackProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<TcpClient, TcpClient> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public LoopbackProxy(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _accepting = Accept();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Closes every connection open now; new ones are forwarded as before.</summary>
    public void DropAll()
    {
        foreach (var (client, upstream) in _connections)
        {
            client.Close();
            upstream.Close();
            _connections.TryRemove(client, out _);
        }
    }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception)
            {
                client.Close();
                upstream.Dispose();
                continue;
            }
            _connections[client] = upstream;
            _ = Pump(client.GetStream(), upstream.GetStream());
            _ = Pump(upstream.GetStream(), client.GetStream());
        }
    }

    private async Task Pump(NetworkStream from, NetworkStream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception)
        {
            // Cut by DropAll or by either side.
        }
        from.Close();
        to.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        DropAll();
        await _accepting;
        _stop.Dispose();
    }
}
