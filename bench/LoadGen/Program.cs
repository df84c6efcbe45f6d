using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SessionGrains.Bench.LoadGen;
using SessionGrains.Bench.LoadGen.Cpu;
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
    Console.WriteLine(ResultOutputs.Write(previous.Results, settings.Output));
    if (settings.WriteDocs)
    {
        ResultOutputs.WriteDocs(previous, settings.Output, settings.Root);
        Console.WriteLine("docs/BENCHMARKS.md and docs/images updated");
    }
    return 0;
}

var machine = MachineInfo.Read();
Console.WriteLine($"SessionGrains benchmark ({(settings.Quick ? "quick" : "full")}): {settings.Connections} connections, "
    + $"{settings.Warmup.TotalSeconds:0.#} s warm-up + {settings.Duration.TotalSeconds:0.#} s per scenario, {settings.Configuration} build");
Console.WriteLine($"machine: {machine.Cpu}, {machine.Cores} cores, {machine.Memory}, {machine.Os}, {machine.DotNet}");
if (machine.OtherProcesses > 0) Console.WriteLine($"note: {machine.OtherProcesses} other test/SessionGrains processes are running: figures will be noisy");
var pinning = settings.PinCpu is { } pinCpu ? Pinning.Pin(pinCpu) : null;
Console.WriteLine(pinning is null
    ? $"load generator: not pinned, CPUs {Affinity.Describe(Affinity.Initial)}"
    : $"load generator: pinned to {pinning.Describe()}; systems under test float over CPUs {Affinity.Describe(Affinity.Initial)}");
Console.WriteLine($"CPU time: sum of /proc/PID/task/*/schedstat (ns) over the threads of every process of the system under test, children in ticks of 1/{ProcFs.ClockTicks} s");

var results = new List<ScenarioResult>();
try
{
    foreach (var key in settings.Targets)
    {
        await using var target = BenchTarget.Create(key, settings);
        Console.WriteLine($"[{key}] starting {target.Description}");
        var starting = Stopwatch.StartNew();
        // Started unpinned: a process inherits its starter's mask and sizes its GC and thread pool by it.
        using (pinning?.Unpinned())
        {
            await target.Start(stopping.Token);
        }
        Console.WriteLine($"[{key}] started in {starting.Elapsed.TotalSeconds:N1} s: {string.Join(", ", target.Processes.Select(p => $"{p.Name} (pid {p.Pid})"))}; {Pinning.Float(target.Processes)}");
        var clients = target.Endpoints.Select(endpoint => SessionApi.CreateClient(endpoint, settings.Connections + settings.Publishers + 4)).ToList();
        try
        {
            var apis = clients.Select(http => new SessionApi(http, target.IsSessionGrains)).ToList();
            if (apis.Count > 1) Console.WriteLine($"[{key}] load spread round-robin by connection over {apis.Count} front ends: {string.Join(", ", target.Endpoints)}");
            var runner = new ScenarioRunner(settings, target, apis, new CpuMeter(target.Processes));
            foreach (var scenario in settings.Scenarios)
            {
                var row = await runner.Run(scenario, stopping.Token);
                if (row is null) continue;
                results.Add(row);
                Console.WriteLine(ResultTable.ConsoleLine(row));
            }
        }
        finally
        {
            clients.ForEach(http => http.Dispose());
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
    settings.Sockets, settings.Publishers, settings.Configuration, machine, MachineInfo.OtherProjectProcesses(), settings.Targets, ordered,
    pinning is null ? null : $"pinned to CPU {pinning.Cpu}, systems under test floating over CPUs {Affinity.Describe(Affinity.Initial)}",
    settings.WaitQuiet.TotalSeconds);
Directory.CreateDirectory(settings.Output);
file.Save(Path.Combine(settings.Output, "results.json"));
var markdown = ResultOutputs.Write(ordered, settings.Output);
Console.WriteLine();
Console.WriteLine(ResultOutputs.Header(file));
Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"results: {settings.Output}/results.json, results.md, {ResultOutputs.Chart}, {ResultOutputs.CpuChart}");

if (settings.WriteDocs)
{
    ResultOutputs.WriteDocs(file, settings.Output, settings.Root);
    Console.WriteLine("docs/BENCHMARKS.md and docs/images updated");
}
return 0;
