using System.Globalization;
using System.Runtime.InteropServices;
using SessionGrains.Bench.LoadGen;
using SessionGrains.Bench.LoadGen.Load;
using SessionGrains.Bench.LoadGen.Report;
using SessionGrains.Bench.LoadGen.Scenarios;
using SessionGrains.Bench.LoadGen.Targets;

BenchSettings settings;
try
{
    if (args.Contains("--help") || args.Contains("-h"))
    {
        Console.WriteLine(BenchSettings.Usage);
        return 0;
    }
    settings = BenchSettings.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}\n\n{BenchSettings.Usage}");
    return 2;
}

// Ctrl+C or SIGTERM stops the load and still stops every process this run started.
using var stopping = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}

if (settings.RenderFrom is { } saved)
{
    var previous = ResultsFile.Load(saved);
    Directory.CreateDirectory(settings.Output);
    BenchChart.Save(previous.Results, Path.Combine(settings.Output, "benchmarks.png"));
    File.WriteAllText(Path.Combine(settings.Output, "results.md"), ResultTable.Markdown(previous.Results));
    Console.WriteLine(ResultTable.Markdown(previous.Results));
    return 0;
}

var machine = MachineInfo.Read();
Console.WriteLine($"SessionGrains benchmark ({(settings.Quick ? "quick" : "full")}): {settings.Connections} connections, "
    + $"{settings.Warmup.TotalSeconds:0.#} s warm-up + {settings.Duration.TotalSeconds:0.#} s per scenario, {settings.Configuration} build");
Console.WriteLine($"machine: {machine.Cpu}, {machine.Cores} cores, {machine.Memory}, {machine.Os}, {machine.DotNet}");
if (machine.OtherProcesses > 0) Console.WriteLine($"note: {machine.OtherProcesses} other test/SessionGrains processes are running: figures will be noisy");

var results = new List<ScenarioResult>();
try
{
    foreach (var key in settings.Targets)
    {
        await using var target = BenchTarget.Create(key, settings);
        Console.WriteLine($"[{key}] starting {target.Description}");
        await target.Start(stopping.Token);
        using var http = SessionApi.CreateClient(target.BaseAddress, settings.Connections + settings.Publishers + 4);
        var runner = new ScenarioRunner(settings, target, new SessionApi(http, target.IsSessionGrains));
        foreach (var scenario in settings.Scenarios)
        {
            var row = await runner.Run(scenario, stopping.Token);
            if (row is null) continue;
            results.Add(row);
            var lost = row.LostUpdates is { } n ? $"  lost updates {n}" : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{key}] {row.Scenario,-22} {row.PerSecond,10:N0}/s  p50 {row.P50Ms,7:N2} ms  p99 {row.P99Ms,7:N2} ms  errors {row.Errors}{lost}"));
        }
    }
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    Console.Error.WriteLine("interrupted; every started process was stopped");
    return 130;
}

// Rows of one scenario together, baseline last, in the order scenarios were given.
var ordered = results
    .OrderBy(r => settings.Scenarios.ToList().FindIndex(s => r.Scenario.StartsWith(s, StringComparison.Ordinal) || (s == "mix" && r.Scenario.StartsWith("mix", StringComparison.Ordinal)) || (s == "fanout" && r.Scenario.StartsWith("fan-out", StringComparison.Ordinal))))
    .ThenBy(r => settings.Targets.ToList().IndexOf(r.Target))
    .ToList();
var file = new ResultsFile(DateTimeOffset.UtcNow, settings.Quick, settings.Connections, settings.Warmup.TotalSeconds, settings.Duration.TotalSeconds,
    settings.Sockets, settings.Publishers, settings.Configuration, machine, MachineInfo.OtherProjectProcesses(), settings.Targets, ordered);
Directory.CreateDirectory(settings.Output);
var table = ResultTable.Markdown(ordered);
file.Save(Path.Combine(settings.Output, "results.json"));
File.WriteAllText(Path.Combine(settings.Output, "results.md"), table);
var chart = Path.Combine(settings.Output, "benchmarks.png");
BenchChart.Save(ordered, chart);
Console.WriteLine();
Console.WriteLine(table);
Console.WriteLine($"results: {settings.Output}/results.json, results.md, benchmarks.png");

if (settings.WriteDocs)
{
    var docs = Path.Combine(settings.Root, "docs");
    Directory.CreateDirectory(Path.Combine(docs, "images"));
    File.Copy(chart, Path.Combine(docs, "images", "benchmarks.png"), overwrite: true);
    var quiet = machine.OtherProcesses == 0 && file.OtherProcessesAtEnd == 0
        ? "The machine was quiet: no other test run or SessionGrains process was running at the start or the end."
        : $"The machine was NOT quiet: {machine.OtherProcesses} other test/SessionGrains processes at the start, {file.OtherProcessesAtEnd} at the end.";
    BenchmarksDocument.Replace(Path.Combine(docs, "BENCHMARKS.md"), "machine", machine.Markdown());
    var header = string.Create(CultureInfo.InvariantCulture,
        $"Taken {file.TakenAt:yyyy-MM-dd HH:mm} UTC, {settings.Configuration} build, {settings.Connections} connections, {settings.Warmup.TotalSeconds:0.#} s warm-up + {settings.Duration.TotalSeconds:0.#} s measured per row.");
    BenchmarksDocument.Replace(Path.Combine(docs, "BENCHMARKS.md"), "loadgen", $"{header} {quiet}\n\n{table}");
    Console.WriteLine("docs/BENCHMARKS.md and docs/images/benchmarks.png updated");
}
return 0;
