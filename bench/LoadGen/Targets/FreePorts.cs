using System.Net;
using System.Net.Sockets;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>Loopback ports the OS reports free: all bound at once on 127.0.0.1:0, then released.</summary>
public static class FreePorts
{
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
