using System.Globalization;
using System.Text;
using SessionGrains.Bench.LoadGen.Scenarios;
using SessionGrains.Bench.LoadGen.Storage;

namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>
/// The results as Markdown tables: each row's figures with their ratio to the baseline's figure for the same
/// scenario (and, for reads, to the bare Kestrel app's), the CPU time of each process of the system under test, and
/// the work of its storage per request.
/// </summary>
public static class ResultTable
{
    public const string BaselineKey = "baseline";

    public const string KestrelKey = "kestrel";

    public static string Markdown(IReadOnlyList<ScenarioResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | target | requests/s | × baseline | × kestrel | p50 ms | p99 ms | p99 × baseline | SUT CPU µs/req | × baseline | × kestrel | load gen CPU µs/req | errors | lost updates |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in results)
        {
            var baseline = Reference(results, row, BaselineKey);
            var kestrel = row.Scenario == "read" ? Reference(results, row, KestrelKey) : null;
            text.AppendLine(string.Join(" | ",
                "| " + row.Scenario,
                row.Target,
                Number(row.PerSecond, "N0"),
                Ratio(row.PerSecond, baseline?.PerSecond),
                kestrel is null ? "" : Ratio(row.PerSecond, kestrel.PerSecond),
                Number(row.P50Ms, "N2"),
                Number(row.P99Ms, "N2"),
                Ratio(row.P99Ms, baseline?.P99Ms),
                Number(row.SutCpuUsPerRequest, "N1"),
                Ratio(row.SutCpuUsPerRequest, baseline?.SutCpuUsPerRequest),
                kestrel is null ? "" : Ratio(row.SutCpuUsPerRequest, kestrel.SutCpuUsPerRequest),
                Number(row.LoadGenCpuUsPerRequest, "N1"),
                row.Errors.ToString("N0", CultureInfo.InvariantCulture),
                LostUpdates(row)) + " |");
        }
        return text.ToString();
    }

    /// <summary>
    /// Where each row's CPU went: the background JIT's part, the warm-up it took, cores kept busy (system under
    /// test, load generator, anything else) and each process's µs per request and share.
    /// </summary>
    public static string CpuMarkdown(IReadOnlyList<ScenarioResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | target | SUT CPU µs/req | of which JIT | warm-up s | SUT cores | load gen cores | other cores | by kind (share of SUT CPU) | by process: µs/req (share) |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|---|---|");
        foreach (var row in results)
        {
            var kinds = row.Processes.GroupBy(p => p.Role).Select(g => (Role: g.Key, Share: g.Sum(p => p.Share), Count: g.Count())).ToList();
            text.AppendLine(string.Join(" | ",
                "| " + row.Scenario,
                row.Target,
                Number(row.SutCpuUsPerRequest, "N1"),
                Number(row.JitUsPerRequest, "N1"),
                Warmup(row),
                Number(row.SutCores, "N2"),
                Number(row.LoadGenCores, "N2"),
                Number(row.OtherCores, "N2"),
                kinds.Count < 2 ? "" : string.Join(" · ", kinds.Select(k => string.Create(CultureInfo.InvariantCulture, $"{Plural(k.Role, k.Count)} {k.Share * 100:N0} %"))),
                string.Join(" · ", row.Processes.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {Number(p.UsPerRequest, "N1")} ({p.Share * 100:N0} %)")))) + " |");
        }
        return text.ToString();
    }

    /// <summary>Commands under this many calls per request (membership heartbeats and the like) are left out of the mix shown.</summary>
    public const double LeastCommandsPerRequest = 0.005;

    /// <summary>
    /// What each row's storage did per request the target acknowledged, warm-up included: Redis's network bytes
    /// and command mix, and the bytes the storage's process wrote (to disk, and through write()). Rows without
    /// storage (kestrel) are left out.
    /// </summary>
    public static string StorageMarkdown(IReadOnlyList<ScenarioResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | target | storage | divided by | Redis bytes in/req | Redis bytes out/req | Redis commands/req | disk write_bytes/req | write() bytes/req |");
        text.AppendLine("|---|---|---|--:|--:|--:|---|--:|--:|");
        foreach (var row in results)
        {
            if (row.Storage is not { } storage) continue;
            text.AppendLine(string.Join(" | ",
                "| " + row.Scenario,
                row.Target,
                storage.Kind,
                Counted(storage),
                Number(storage.RedisInBytesPerRequest, "N0"),
                Number(storage.RedisOutBytesPerRequest, "N0"),
                CommandMix(storage),
                Number(storage.DiskBytesPerRequest, "N0"),
                Number(storage.WriteCallBytesPerRequest, "N0")) + " |");
        }
        return text.ToString();
    }

    /// <summary>The commands per request, most frequent first, e.g. <c>EVALSHA 1.00 · HSET 2.00</c>.</summary>
    private static string CommandMix(StorageCost storage) =>
        (storage.RedisCommands ?? []).Where(c => c.PerRequest >= LeastCommandsPerRequest).ToList() is { Count: > 0 } shown
            ? string.Join(" · ", shown.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Command} {c.PerRequest:0.00}")))
            : "–";

    /// <summary>The divisor: "12,345 requests" (fan-out: "publishes").</summary>
    private static string Counted(StorageCost storage) =>
        string.Create(CultureInfo.InvariantCulture, $"{storage.Operations:N0} {(storage.Per == "publish" ? "publishes" : storage.Per + "s")}");

    /// <summary>One row as the load generator prints it when the row is done.</summary>
    public static string ConsoleLine(ScenarioResult row)
    {
        var lost = row.LostUpdates is { } n ? $"  lost updates {n}" : "";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{row.Target}] {row.Scenario,-22} {row.PerSecond,10:N0}/s  p50 {row.P50Ms,7:N2} ms  p99 {row.P99Ms,7:N2} ms  SUT {row.SutCpuUsPerRequest,7:N1} µs/req ({row.SutCores:N2} cores, JIT {row.JitUsPerRequest:N1})  load gen {row.LoadGenCpuUsPerRequest,6:N1} µs/req ({row.LoadGenCores:N2} cores)  other {row.OtherCores:N2} cores  warm-up {Warmup(row)} s  errors {row.Errors}{lost}");
        if (row.Processes.Count > 1)
        {
            line += Environment.NewLine + new string(' ', row.Target.Length + 3) + string.Join("  ",
                row.Processes.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.UsPerRequest:N1} µs ({p.Share * 100:N0} %, {p.Method})")));
        }
        if (row.Storage is { } storage)
        {
            var redis = storage.RedisInBytesPerRequest is null ? ""
                : $"in {Number(storage.RedisInBytesPerRequest, "N0")} B, out {Number(storage.RedisOutBytesPerRequest, "N0")} B, {CommandMix(storage)}; ";
            var writes = storage.WriteCallBytesPerRequest is null ? "" : $", write() {Number(storage.WriteCallBytesPerRequest, "N0")} B";
            line += Environment.NewLine + new string(' ', row.Target.Length + 3) + string.Create(CultureInfo.InvariantCulture,
                $"{storage.Kind} per {storage.Per} ({Counted(storage)} over {storage.Seconds:N1} s): {redis}disk {Number(storage.DiskBytesPerRequest, "N0")} B{writes}");
        }
        return line;
    }

    /// <summary>The warm-up's length, marked when it ended with the processes under test still compiling or with the machine still busy.</summary>
    private static string Warmup(ScenarioResult row) =>
        Number(row.WarmupSeconds, "N1") + (row.WarmupSettled ? "" : " (JIT busy)") + (row.QuietMachine == false ? " (machine busy)" : "");

    private static ScenarioResult? Reference(IReadOnlyList<ScenarioResult> results, ScenarioResult row, string key) =>
        results.FirstOrDefault(r => r.Target == key && r.Scenario == row.Scenario);

    private static string Plural(string role, int count) => count == 1 || role.EndsWith('s') ? role : role + "s";

    private static string LostUpdates(ScenarioResult row) =>
        row.LostUpdates is { } lost && row.Acknowledged is { } acked
            ? string.Create(CultureInfo.InvariantCulture, $"{lost:N0} of {acked:N0} ({(acked == 0 ? 0 : 100.0 * lost / acked):N1} %)")
            : "";

    private static string Number(double? value, string format) => value is not { } v || double.IsNaN(v) || double.IsInfinity(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);

    private static string Ratio(double value, double? reference) =>
        reference is { } r && r > 0 && !double.IsNaN(value) && !double.IsNaN(r)
            ? (value / r).ToString("0.00", CultureInfo.InvariantCulture) + "×"
            : "n/a";
}
