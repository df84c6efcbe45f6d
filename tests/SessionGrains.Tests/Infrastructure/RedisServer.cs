using System.Net.Sockets;
using System.Text;
using Xunit;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>A real redis-server process on a free loopback port with its data in a temp folder.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string _dir = RepositoryPaths.NewTempFolder("redis");
    private HostProcess? _process;

    public int Port { get; } = FreePorts.Take(1)[0];

    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        _process = HostProcess.StartProgram("redis-server", _dir,
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always"]);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await Ping()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("redis-server did not answer PING:\n" + _process.Output);
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

    public async Task DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
