using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>
/// A real child process: a SessionGrains host run with <c>dotnet &lt;dll&gt;</c>, or a server such as redis-server.
/// Its output is kept for diagnostics; disposing kills it if it is still running.
/// </summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private HostProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join(Environment.NewLine, _output);

    public static HostProcess Start(string dll, string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        StartProgram("dotnet", workingDirectory, [dll, .. args], environment);

    /// <summary>Starts any program (e.g. redis-server) with its output captured.</summary>
    public static HostProcess StartProgram(string program, string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) host._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) host._output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Polls <paramref name="url"/> until it answers 200, the process exits, or the timeout passes.</summary>
    public async Task WaitUntilReady(string url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (HasExited) throw new InvalidOperationException($"Process exited with {_process.ExitCode} before {url} was ready:\n{Output}");
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{url} not ready within {timeout}:\n{Output}");
    }

    /// <summary>Waits until a line of output contains <paramref name="text"/> and returns it.</summary>
    public async Task<string> WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var line = _output.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null) return line;
            await Task.Delay(100);
        }
        throw new TimeoutException($"'{text}' not printed within {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash.</summary>
    public async Task Kill()
    {
        if (HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits for a graceful exit (SIGKILL after <paramref name="timeout"/>).</summary>
    public async Task Stop(TimeSpan timeout)
    {
        if (HasExited) return;
        _ = SendSignal(_process.Id, SigTerm);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            await Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Kill();
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
