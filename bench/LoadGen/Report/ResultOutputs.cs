using System.Globalization;
using SessionGrains.Bench.LoadGen.Scenarios;

namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>What a run leaves in its output folder (results.md, benchmarks.png, benchmarks-cpu.png) and in docs/.</summary>
public static class ResultOutputs
{
    public const string Chart = "benchmarks.png";

    public const string CpuChart = "benchmarks-cpu.png";

    /// <summary>The three tables into results.md and both charts; returns the Markdown.</summary>
    public static string Write(IReadOnlyList<ScenarioResult> rows, string directory)
    {
        Directory.CreateDirectory(directory);
        var markdown = $"{ResultTable.Markdown(rows)}\nCPU time by process:\n\n{ResultTable.CpuMarkdown(rows)}"
            + $"\nStorage per request:\n\n{ResultTable.StorageMarkdown(rows)}";
        File.WriteAllText(Path.Combine(directory, "results.md"), markdown);
        BenchChart.Save(rows, Path.Combine(directory, Chart));
        BenchChart.SaveCpu(rows, Path.Combine(directory, CpuChart));
        return markdown;
    }

    /// <summary>Rewrites the generated sections of docs/BENCHMARKS.md (machine, loadgen, cpu, storage) and copies the charts to docs/images.</summary>
    public static void WriteDocs(ResultsFile file, string directory, string root)
    {
        var docs = Path.Combine(root, "docs");
        Directory.CreateDirectory(Path.Combine(docs, "images"));
        File.Copy(Path.Combine(directory, Chart), Path.Combine(docs, "images", Chart), overwrite: true);
        File.Copy(Path.Combine(directory, CpuChart), Path.Combine(docs, "images", CpuChart), overwrite: true);
        var page = Path.Combine(docs, "BENCHMARKS.md");
        BenchmarksDocument.Replace(page, "machine", file.Machine.Markdown());
        BenchmarksDocument.Replace(page, "loadgen", $"{Header(file)}\n\n{ResultTable.Markdown(file.Results)}");
        BenchmarksDocument.Replace(page, "cpu", ResultTable.CpuMarkdown(file.Results));
        BenchmarksDocument.Replace(page, "storage", ResultTable.StorageMarkdown(file.Results));
    }

    /// <summary>When, how long, how the load generator ran, and how busy the machine was besides.</summary>
    public static string Header(ResultsFile file)
    {
        var quiet = file.Machine.OtherProcesses == 0 && file.OtherProcessesAtEnd == 0
            ? "No other test run or SessionGrains process was running at the start or the end."
            : $"Other test runs or SessionGrains processes WERE running: {file.Machine.OtherProcesses} at the start, {file.OtherProcessesAtEnd} at the end.";
        var other = file.Results.Where(r => double.IsFinite(r.OtherCores)).OrderBy(r => r.OtherCores).ToList();
        var noise = other.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $" CPU used by neither the system under test nor the load generator during the measured windows: median {other[other.Count / 2].OtherCores:N2} cores, at most {other[^1].OtherCores:N2} ({other[^1].Target}, {other[^1].Scenario}){(other[^1].OtherCores > 0.2 ? ": the machine was busy, figures of such rows are noisy" : "")}.");
        var waited = file.WaitQuietSeconds > 0
            ? string.Create(CultureInfo.InvariantCulture, $" Each window opened once other processes used less than 0.25 cores, waiting up to {file.WaitQuietSeconds:0} s for it (\"machine busy\" in the CPU table where the wait ran out).")
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"Taken {file.TakenAt:yyyy-MM-dd HH:mm} UTC, {file.Configuration} build, {file.Connections} connections, at least {file.WarmupSeconds:0.#} s warm-up (longer while the JIT was busy) + {file.DurationSeconds:0.#} s measured per row; load generator {file.LoadGenPinning ?? "not pinned"}. {quiet}{waited}{noise}");
    }
}
