using System.Diagnostics;
using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.SignalR;

/// <summary>
/// The official SignalR JavaScript client (<c>@microsoft/signalr</c>, pinned in <c>Client/wwwroot/lib/package-lock.json</c>,
/// the example pages' own copy), installed on first use with <c>npm ci</c> into its <c>node_modules</c> (git-ignored), so a clean clone
/// gets it from the npm registry; no copy of it is kept in the repository.
/// </summary>
public static class SignalRScript
{
    private static readonly SemaphoreSlim Installing = new(1, 1);

    public static string Folder => Path.Combine(RepositoryPaths.Root, "Client", "wwwroot", "lib");

    /// <summary>The browser build, <c>signalr.min.js</c>, installing the package first if needed.</summary>
    public static Task<string> BrowserBuild() => BrowserBuild(Folder);

    /// <summary>The browser build under <paramref name="folder"/> (a folder with package.json and its lock file), installed first if needed.</summary>
    public static async Task<string> BrowserBuild(string folder)
    {
        var path = Path.Combine(folder, "node_modules", "@microsoft", "signalr", "dist", "browser", "signalr.min.js");
        await Installing.WaitAsync();
        try
        {
            if (!File.Exists(path)) await NpmCi(folder);
        }
        finally
        {
            Installing.Release();
        }
        return File.Exists(path) ? path : throw new InvalidOperationException($"npm ci in {folder} did not install {path}");
    }

    private static async Task NpmCi(string folder)
    {
        var info = new ProcessStartInfo("npm") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "ci", "--no-audit", "--no-fund" }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("npm could not be started (Node.js and npm are needed)");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"npm ci in {folder} took longer than 3 minutes");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"npm ci in {folder} failed ({process.ExitCode}):\n{await output}\n{await errors}");
    }
}
