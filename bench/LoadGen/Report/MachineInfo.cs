using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>The machine a run was taken on, and whether anything else of the project was running at the same time.</summary>
public sealed partial record MachineInfo(string Cpu, int Cores, string Memory, string Os, string Kernel, string DotNet, string Redis, int OtherProcesses)
{
    public static MachineInfo Read() => new(
        Cpu: Match(Command("lscpu"), @"Model name:\s*(.+)") ?? "unknown",
        Cores: Environment.ProcessorCount,
        Memory: Match(Command("free", "-g"), @"Mem:\s+(\d+)") is { } gib ? $"{gib} GiB (free -g)" : "unknown",
        Os: Match(File.Exists("/etc/os-release") ? File.ReadAllText("/etc/os-release") : "", "PRETTY_NAME=\"?([^\"\\n]+)") ?? RuntimeInformation.OSDescription,
        Kernel: Command("uname", "-r").Trim(),
        DotNet: RuntimeInformation.FrameworkDescription,
        Redis: Match(Command("redis-server", "--version"), @"v=(\S+)") is { } v ? "Redis " + v : "unknown",
        OtherProcesses: OtherProjectProcesses());

    /// <summary>Processes of other test runs or SessionGrains hosts (<c>pgrep -f "dotnet test|SessionGrains"</c>), this run's own excluded.</summary>
    public static int OtherProjectProcesses()
    {
        var own = new HashSet<int> { Environment.ProcessId };
        var lines = Command("pgrep", "-f", "dotnet test|SessionGrains").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var count = 0;
        foreach (var line in lines)
        {
            if (!int.TryParse(line.Trim(), out var pid) || own.Contains(pid)) continue;
            // pgrep itself and the shell that ran this program match the pattern too; bench processes don't count.
            var cmd = File.Exists($"/proc/{pid}/cmdline") ? File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ') : "";
            if (cmd.Length == 0 || cmd.Contains("SessionGrains.Bench", StringComparison.Ordinal) || cmd.StartsWith("pgrep", StringComparison.Ordinal)) continue;
            count++;
        }
        return count;
    }

    private static string? Match(string text, string pattern) => Regex.Match(text, pattern) is { Success: true } m ? m.Groups[1].Value.Trim() : null;

    private static string Command(string program, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in args) info.ArgumentList.Add(arg);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return output;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "";
        }
    }

    public string Markdown() =>
        $"| | |\n|---|---|\n| CPU | {Cpu}, {Cores} cores |\n| memory | {Memory} |\n| OS | {Os}, kernel {Kernel} |\n| .NET | {DotNet} |\n| Redis | {Redis} |";
}
