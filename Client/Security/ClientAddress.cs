using System.Net;
using System.Net.Sockets;

namespace SessionGrains.Client.Security;

/// <summary>
/// The client's address as rate limits see it: the peer, or what a trusted proxy forwarded (the forwarded-headers
/// middleware runs first). An IPv6 client is counted by its /64 network, since one host usually holds a whole /64.
/// </summary>
public static class ClientAddress
{
    public static string PartitionKey(HttpContext context)
    {
        var address = Normalize(context.Connection.RemoteIpAddress);
        if (address is null) return "unknown";
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>Whether the request came from this machine (after a trusted proxy's forwarding).</summary>
    public static bool IsLoopback(HttpContext context) => Normalize(context.Connection.RemoteIpAddress) is { } address && IPAddress.IsLoopback(address);

    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
