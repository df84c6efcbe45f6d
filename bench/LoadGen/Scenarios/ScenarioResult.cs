namespace SessionGrains.Bench.LoadGen.Scenarios;

/// <summary>One row of the results: one scenario against one target.</summary>
public sealed record ScenarioResult
{
    public required string Scenario { get; init; }

    public required string Target { get; init; }

    public required string TargetDescription { get; init; }

    public required bool IsSessionGrains { get; init; }

    /// <summary>Successful requests a second (fan-out: events delivered a second, over all sockets).</summary>
    public required double PerSecond { get; init; }

    public required double P50Ms { get; init; }

    public required double P99Ms { get; init; }

    public required long Operations { get; init; }

    public required long Errors { get; init; }

    public required int Connections { get; init; }

    /// <summary>Increments acknowledged (2xx) minus the counter's final value; increment scenario only.</summary>
    public long? LostUpdates { get; init; }

    public long? Acknowledged { get; init; }

    public long? FinalCounter { get; init; }

    public string? Note { get; init; }
}
