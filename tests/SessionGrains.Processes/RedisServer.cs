using System.Net.Sockets;
using System.Text;

namespace SessionGrains.Processes;

/// <summary>
/// A redis-server of this run on a free loopback port, configured as scripts/local-cluster.sh configures the
/// cluster's: AOF on, <c>appendfsync always</c> (an acknowledged write is on disk), no RDB snapshots.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private ChildProcess? _process;

    private RedisServer(string directory, int port, string fsync)
    {
        _directory = directory;
        Port = port;
        Fsync = fsync;
    }

    public int Port { get; }

    /// <summary>The AOF fsync policy: <c>always</c> (as the cluster) or <c>everysec</c>.</summary>
    public string Fsync { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>The redis-server process (for its CPU time), 0 before it started.</summary>
    public int Pid => _process?.Pid ?? 0;

    public static async Task<RedisServer> Start(string fsync, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("sg-bench-redis-").FullName;
        var server = new RedisServer(directory, FreePorts.Take(1)[0], fsync);
        try
        {
            server._process = ChildProcess.Start("redis-server", "redis-server",
                ["--port", server.Port.ToString(), "--bind", "127.0.0.1", "--protected-mode", "yes", "--dir", directory,
                    "--save", "", "--appendonly", "yes", "--appendfsync", fsync],
                directory);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!await server.Ping())
            {
                if (server._process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException("redis-server did not answer PING:\n" + server._process.Output);
                await Task.Delay(100, cancellationToken);
            }
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task<bool> Ping()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
