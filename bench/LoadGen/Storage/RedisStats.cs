using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SessionGrains.Bench.LoadGen.Storage;

/// <summary>
/// One reading of a redis-server's own counters: <c>total_net_input_bytes</c> and <c>total_net_output_bytes</c>
/// of <c>INFO stats</c> and the calls per command of <c>INFO commandstats</c> (commands run inside scripts and
/// transactions included). Read over a connection of its own with a minimal RESP client: the two commands
/// pipelined, two bulk-string replies. <see cref="RequestBytes"/> and <see cref="ReplyBytes"/> are the reading's
/// own traffic, which <see cref="Between"/> takes out again.
/// </summary>
public sealed record RedisStats(long InputBytes, long OutputBytes, IReadOnlyDictionary<string, long> Calls, int RequestBytes, int ReplyBytes)
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n");

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<RedisStats> Read(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Request, timeout.Token);
        var replies = new BufferedStream(stream);
        var (stats, statsBytes) = await BulkString(replies, timeout.Token);
        var (commands, commandsBytes) = await BulkString(replies, timeout.Token);
        var values = Fields(stats);
        var calls = Fields(commands)
            .Where(field => field.Key.StartsWith("cmdstat_", StringComparison.Ordinal))
            .ToDictionary(field => field.Key["cmdstat_".Length..].ToUpperInvariant(), field => CallCount(field.Value));
        return new RedisStats(Long(values["total_net_input_bytes"]), Long(values["total_net_output_bytes"]), calls, Request.Length, statsBytes + commandsBytes);
    }

    /// <summary>
    /// The traffic from <paramref name="before"/> to <paramref name="after"/> that was not the readings' own. Redis
    /// counts a request's bytes when it reads them and a reply's when it has written it, and a call once the
    /// command returned: the span holds the second reading's request, the first reading's replies, and two INFO
    /// calls (the first reading's second, the second reading's first).
    /// </summary>
    public static (long InputBytes, long OutputBytes, Dictionary<string, long> Calls) Between(RedisStats before, RedisStats after)
    {
        var calls = after.Calls.ToDictionary(c => c.Key, c => c.Value - before.Calls.GetValueOrDefault(c.Key));
        calls["INFO"] -= 2;
        return (after.InputBytes - before.InputBytes - after.RequestBytes,
            after.OutputBytes - before.OutputBytes - before.ReplyBytes,
            calls.Where(c => c.Value > 0).ToDictionary());
    }

    /// <summary>One RESP bulk string (<c>$LENGTH\r\nBODY\r\n</c>) and the bytes it took on the wire; an error reply throws.</summary>
    private static async Task<(string Text, int Bytes)> BulkString(Stream stream, CancellationToken cancellationToken)
    {
        var header = new StringBuilder();
        var one = new byte[1];
        do
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            header.Append((char)one[0]);
        }
        while (one[0] != '\n');
        var line = header.ToString().TrimEnd();
        if (!line.StartsWith('$')) throw new InvalidOperationException($"redis answered INFO with '{line}'");
        var body = new byte[int.Parse(line[1..], NumberStyles.None, CultureInfo.InvariantCulture) + 2];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return (Encoding.UTF8.GetString(body, 0, body.Length - 2), header.Length + body.Length);
    }

    /// <summary>The <c>name:value</c> lines of an INFO reply.</summary>
    private static Dictionary<string, string> Fields(string info) =>
        info.Split("\r\n").Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2).ToDictionary(parts => parts[0], parts => parts[1]);

    /// <summary>The <c>calls=N</c> of a commandstats line (<c>calls=12,usec=34,…</c>).</summary>
    private static long CallCount(string value) =>
        Long(value.Split(',').Select(pair => pair.Split('=', 2)).First(pair => pair[0] == "calls")[1]);

    private static long Long(string text) => long.Parse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
}
