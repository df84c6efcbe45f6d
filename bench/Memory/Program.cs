using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Hosting;
using SessionGrains.Bench.Memory;
using SessionGrains.Grains.Storage;
using SessionGrains.Hosting;
using SessionGrains.Interfaces;

MemorySettings settings;
try
{
    if (args.Contains("--help") || args.Contains("-h"))
    {
        Console.WriteLine(MemorySettings.Usage);
        return 0;
    }
    settings = MemorySettings.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"error: {ex.Message}\n\n{MemorySettings.Usage}");
    return 2;
}

var contentRoot = Directory.CreateTempSubdirectory("sg-bench-memory-").FullName;
try
{
    var ports = FreePorts.Take(2);
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot, EnvironmentName = "Production" });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Cluster:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
        ["Cluster:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
    });
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    // A busy two-core machine makes Orleans' watchdogs complain about stalls; that is not what this measures.
    builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
    builder.Logging.AddFilter("Orleans.Runtime.MembershipService.LocalSiloHealthMonitor", LogLevel.Error);
    builder.Logging.AddFilter("Orleans.Runtime.AsyncTimer", LogLevel.Error);
    // The real silo configuration in standalone mode: localhost clustering and SQLite storage in the content root.
    builder.UseOrleans(silo =>
    {
        silo.AddSessionSilo(builder.Configuration, contentRoot);
        if (settings.Storage == "null")
        {
            var nothing = new NullGrainStorage();
            silo.Services.AddGrainStorage(SessionStorage.Name, (_, _) => nothing);
            silo.Services.AddSingleton<ISessionStore>(nothing);
        }
    });
    using var host = builder.Build();
    await host.StartAsync();
    var grains = host.Services.GetRequiredService<IGrainFactory>();
    Console.WriteLine($"one silo in process ({(settings.Storage == "sqlite" ? "standalone configuration, SQLite storage" : "standalone configuration, storage replaced by a null storage")}), "
        + $"server GC: {GCSettings.IsServerGC}, {Environment.ProcessorCount} cores");

    var created = 0L;
    var failed = 0L;
    async Task<double> CreateUpTo(long total)
    {
        var clock = Stopwatch.StartNew();
        var before = Interlocked.Read(ref created);
        var workers = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var n = Interlocked.Increment(ref created);
                if (n > total)
                {
                    Interlocked.Decrement(ref created);
                    return;
                }
                var grain = grains.GetGrain<ISessionGrain>(NewId());
                var reply = await grain.Create(Payload.For(n));
                if (!reply.Succeeded) Interlocked.Increment(ref failed);
                for (var w = 0; w < settings.Writes; w++)
                {
                    var (key, value) = Payload.For(n).Data.Single();
                    if (!(await grain.Put(key, value, SessionWrite.Unconditional)).Succeeded) Interlocked.Increment(ref failed);
                }
            }
        }));
        await Task.WhenAll(workers);
        return (Interlocked.Read(ref created) - before) / clock.Elapsed.TotalSeconds;
    }

    await CreateUpTo(settings.WarmupSessions);
    await Settle(settings.Settle);
    var zero = Measure();
    var zeroCount = created;
    var census = settings.HeapStats ? HeapCensus.TakeOfThisProcess() : null;
    Console.WriteLine($"zero point: {zeroCount:N0} warm-up sessions, heap {zero.Heap / 1048576.0:N1} MiB, working set {zero.WorkingSet / 1048576.0:N1} MiB");

    var rows = new List<MemoryRow>();
    foreach (var checkpoint in settings.Checkpoints)
    {
        var rate = await CreateUpTo(zeroCount + checkpoint);
        await Settle(settings.Settle);
        var now = Measure();
        var sessions = created - zeroCount;
        var active = await ActiveSessions(grains);
        var idle = await IdleCpu(settings.Idle);
        var row = new MemoryRow(sessions, active, failed, now.Heap, now.WorkingSet,
            (double)(now.Heap - zero.Heap) / sessions, (double)(now.WorkingSet - zero.WorkingSet) / sessions, Payload.ManagedBytes, Payload.Utf8Bytes, rate, idle);
        rows.Add(row);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{sessions:N0} sessions ({active:N0} active, {failed} failed): heap {row.HeapBytesPerSession:N0} B/session ({row.HeapBytesPerSession - Payload.ManagedBytes:N0} beyond the payload), working set {row.WorkingSetBytesPerSession:N0} B/session, {rate:N0} sessions/s, idle CPU {idle:N1} ms per s"));

        if (census is not null)
        {
            var after = HeapCensus.TakeOfThisProcess();
            var growth = after.GrowthSince(census);
            Console.WriteLine($"\nwhat {sessions:N0} sessions added to the heap, by type (per session; types under 4 B/session left out):");
            Console.WriteLine($"{"bytes",8} {"objects",8}  type");
            foreach (var (type, count, bytes) in growth.Where(g => g.Bytes >= 4 * sessions))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(double)bytes / sessions,8:N1} {(double)count / sessions,8:N2}  {type}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(double)growth.Sum(g => g.Bytes) / sessions,8:N1}           total growth\n"));
            Console.WriteLine("strings, arrays, boxes and delegates among them, by the type that holds them (per session):");
            foreach (var (type, count, bytes) in after.HeldGrowthSince(census).Where(g => g.Bytes >= 4 * sessions))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(double)bytes / sessions,8:N1} {(double)count / sessions,8:N2}  {type}"));
            Console.WriteLine();
            census = null;
        }
    }

    var table = MemoryRow.Markdown(rows, settings.Storage, settings.Writes);
    Console.WriteLine();
    Console.WriteLine(table);
    Directory.CreateDirectory(settings.Output);
    File.WriteAllText(Path.Combine(settings.Output, "memory.md"), table);
    File.WriteAllText(Path.Combine(settings.Output, "memory.json"), JsonSerializer.Serialize(rows, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    if (settings.WriteDocs) ReplaceDocsSection(Path.Combine(settings.Root, "docs", "BENCHMARKS.md"), "memory", table);
    await host.StopAsync();
    return 0;
}
finally
{
    try
    {
        Directory.Delete(contentRoot, recursive: true);
    }
    catch (IOException)
    {
    }
}

// Idle time with a gen-2 collection every few seconds, so that the shared ArrayPool trims buffers it no longer uses.
static async Task Settle(TimeSpan time)
{
    var until = DateTime.UtcNow + time;
    while (DateTime.UtcNow < until)
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, Math.Max(0.1, (until - DateTime.UtcNow).TotalSeconds))));
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
    }
}

// CPU this process spends per second while nobody calls: timers, Orleans' activation bookkeeping, metrics readers.
static async Task<double> IdleCpu(TimeSpan window)
{
    using var process = Process.GetCurrentProcess();
    var before = process.TotalProcessorTime;
    await Task.Delay(window);
    process.Refresh();
    return (process.TotalProcessorTime - before).TotalMilliseconds / window.TotalSeconds;
}

static (long Heap, long WorkingSet) Measure()
{
    for (var i = 0; i < 3; i++)
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
    }
    using var process = Process.GetCurrentProcess();
    return (GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
}

static async Task<long> ActiveSessions(IGrainFactory grains)
{
    var statistics = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
    return statistics.Where(s => s.GrainType.Contains(TelemetryNames.SessionGrainClass, StringComparison.Ordinal)).Sum(s => (long)s.ActivationCount);
}

// A session id as the front end makes them: 128 bits from a CSPRNG, base64url.
static string NewId() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

static void ReplaceDocsSection(string path, string name, string content)
{
    var begin = $"<!-- bench:{name}:begin -->";
    var end = $"<!-- bench:{name}:end -->";
    var text = File.ReadAllText(path);
    var from = text.IndexOf(begin, StringComparison.Ordinal);
    var to = text.IndexOf(end, StringComparison.Ordinal);
    if (from < 0 || to < from) throw new InvalidOperationException($"{path} has no {begin} … {end} section");
    File.WriteAllText(path, text[..(from + begin.Length)] + "\n" + content.TrimEnd() + "\n" + text[to..]);
    Console.WriteLine($"{path}: memory section updated");
}
