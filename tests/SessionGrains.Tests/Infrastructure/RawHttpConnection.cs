using System.Net.Sockets;
using System.Text;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>
/// One HTTP/1.1 connection over a plain socket, for tests that must see what a connection does (answered, closed
/// without an answer, refused), which HttpClient hides behind its pool and its retries.
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly string _host;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start, _end;

    private RawHttpConnection(TcpClient tcp, string host)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _host = host;
    }

    public static async Task<RawHttpConnection> Open(Uri baseAddress)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        return new RawHttpConnection(tcp, baseAddress.Authority);
    }

    /// <summary>Writes one request (the connection stays open unless the server says otherwise).</summary>
    public async Task Send(string method, string path, string? token = null, string? json = null)
    {
        var body = json is null ? [] : Encoding.UTF8.GetBytes(json);
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: {_host}\r\n");
        if (token is not null) head.Append($"Authorization: Bearer {token}\r\n");
        if (json is not null) head.Append("Content-Type: application/json\r\n");
        head.Append($"Content-Length: {body.Length}\r\n\r\n");
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()).Concat(body).ToArray());
    }

    /// <summary>Reads one response; null when the server closed the connection before sending a byte of it.</summary>
    public async Task<RawHttpResponse?> Read(CancellationToken cancellationToken)
    {
        var statusLine = await ReadLine(cancellationToken);
        if (statusLine is null) return null;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = await ReadLine(cancellationToken); !string.IsNullOrEmpty(line); line = await ReadLine(cancellationToken))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var body = new StringBuilder();
        if (headers.TryGetValue("Content-Length", out var length)) body.Append(await ReadBytes(int.Parse(length), cancellationToken));
        else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            for (var size = Convert.ToInt32((await ReadLine(cancellationToken))!.Split(';')[0], 16); size > 0; size = Convert.ToInt32((await ReadLine(cancellationToken))!.Split(';')[0], 16))
            {
                body.Append(await ReadBytes(size, cancellationToken));
                await ReadLine(cancellationToken);
            }
            await ReadLine(cancellationToken);
        }
        return new RawHttpResponse(int.Parse(statusLine.Split(' ')[1]), headers, body.ToString());
    }

    /// <summary>Waits until the server closes the connection (true) or the token ends the wait (false).</summary>
    public async Task<bool> WaitClosed(CancellationToken cancellationToken)
    {
        try
        {
            return await Fill(cancellationToken) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<string?> ReadLine(CancellationToken cancellationToken)
    {
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                _start = newline + 1;
                return line;
            }
            if (await Fill(cancellationToken) == 0) return null;
        }
    }

    private async Task<string> ReadBytes(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            if (await Fill(cancellationToken) == 0) throw new IOException("connection closed in the middle of a response");
        }
        var text = Encoding.UTF8.GetString(_buffer, _start, count);
        _start += count;
        return text;
    }

    private async Task<int> Fill(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int read;
        try
        {
            read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            read = 0; // reset by the peer: closed too
        }
        _end += read;
        return read;
    }

    public void Dispose() => _tcp.Dispose();
}

public sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
