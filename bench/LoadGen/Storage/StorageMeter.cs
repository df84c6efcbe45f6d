using System.Diagnostics;
using System.Net.Sockets;

namespace SessionGrains.Bench.LoadGen.Storage;

/// <summary>
/// Reads the counters of a target's storage: a redis-server (<c>INFO</c> over TCP and its <c>/proc/PID/io</c>) or
/// the process that holds SQLite (its <c>/proc/PID/io</c>). Two samples around a run and the operations the target
/// acknowledged in between make its <see cref="StorageCost"/>.
/// </summary>
public sealed class StorageMeter
{
    private readonly int _pid;
    private readonly int? _redisPort;

    private StorageMeter(string kind, int pid, int? redisPort)
    {
        Kind = kind;
        _pid = pid;
        _redisPort = redisPort;
    }

    /// <summary>"Redis" or "SQLite".</summary>
    public string Kind { get; }

    public static StorageMeter Redis(int port, int pid) => new("Redis", pid, port);

    /// <summary>SQLite inside the process <paramref name="pid"/> (SessionGrains standalone).</summary>
    public static StorageMeter Sqlite(int pid) => new("SQLite", pid, null);

    /// <summary>The counters now; null, with a warning, when the storage could not be read (the row then has no storage figures).</summary>
    public async Task<StorageSample?> Sample(CancellationToken cancellationToken)
    {
        try
        {
            var redis = _redisPort is { } port ? await RedisStats.Read(port, cancellationToken) : null;
            return new StorageSample(Stopwatch.GetTimestamp(), ProcIo.Read(_pid), redis);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine($"warning: could not read the counters of {Kind} (pid {_pid}): {ex.Message}");
            return null;
        }
    }

    /// <summary>What the storage did from <paramref name="before"/> to <paramref name="after"/>, per operation of <paramref name="operations"/>; null without both samples.</summary>
    public StorageCost? Cost(StorageSample? before, StorageSample? after, long operations)
    {
        if (before is null || after is null) return null;
        double PerOperation(long value) => operations > 0 ? value / (double)operations : double.NaN;
        var cost = new StorageCost(Kind, operations, (after.Timestamp - before.Timestamp) / (double)Stopwatch.Frequency,
            PerOperation(after.Io.WriteBytes - before.Io.WriteBytes));
        if (before.Redis is null || after.Redis is null)
            return cost with { WriteCallBytesPerRequest = PerOperation(after.Io.WriteCallBytes - before.Io.WriteCallBytes) };
        var (input, output, calls) = RedisStats.Between(before.Redis, after.Redis);
        return cost with
        {
            RedisInBytesPerRequest = PerOperation(input),
            RedisOutBytesPerRequest = PerOperation(output),
            RedisCommands = calls.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => new CommandRate(c.Key, c.Value, PerOperation(c.Value))).ToList(),
        };
    }
}

/// <summary>The storage's counters at one moment (Stopwatch timestamp); <see cref="Redis"/> null for SQLite.</summary>
public sealed record StorageSample(long Timestamp, ProcIo Io, RedisStats? Redis);
