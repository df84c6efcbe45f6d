namespace SessionGrains.Bench.LoadGen.Storage;

/// <summary>
/// What a target's storage did over one scenario, from right before its load started to right after it ended
/// (warm-up included), per request the target acknowledged over the same span (<see cref="Operations"/>; fan-out:
/// per publish, see <see cref="Per"/>). Figures that do not apply to the storage are null.
/// </summary>
/// <param name="Kind">"Redis" or "SQLite".</param>
/// <param name="Operations">Requests acknowledged (2xx) over the span: the divisor.</param>
/// <param name="Seconds">The span's length.</param>
/// <param name="DiskBytesPerRequest"><c>write_bytes</c> of the storage's process (redis-server, or the standalone process).</param>
public sealed record StorageCost(string Kind, long Operations, double Seconds, double DiskBytesPerRequest)
{
    /// <summary>What one operation is: "request", or "publish" in the fan-out (not the events delivered).</summary>
    public string Per { get; init; } = "request";

    /// <summary>SQLite: <c>wchar</c> of the process, bytes passed to write() and pwrite(). Null for Redis, whose replies go through write() too.</summary>
    public double? WriteCallBytesPerRequest { get; init; }

    /// <summary>Redis: <c>total_net_input_bytes</c>, what its clients sent it.</summary>
    public double? RedisInBytesPerRequest { get; init; }

    /// <summary>Redis: <c>total_net_output_bytes</c>, what it answered.</summary>
    public double? RedisOutBytesPerRequest { get; init; }

    /// <summary>Redis: calls per command (commandstats, commands run by scripts included), most frequent first.</summary>
    public IReadOnlyList<CommandRate>? RedisCommands { get; init; }
}

/// <summary>One Redis command's calls over the span, and per request.</summary>
public sealed record CommandRate(string Command, long Calls, double PerRequest);
