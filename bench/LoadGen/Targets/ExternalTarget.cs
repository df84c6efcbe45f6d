using SessionGrains.Bench.LoadGen.Cpu;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>
/// SessionGrains front ends that are already running at <c>--url</c> (for experiments on a changed build or topology);
/// not started or stopped here. Their CPU time counts when <c>--pids</c> names the processes.
/// </summary>
public sealed class ExternalTarget(IReadOnlyList<Uri> urls, IReadOnlyList<KeyValuePair<string, int>> pids) : BenchTarget
{
    public override string Key => "external";

    public override string Description => $"SessionGrains at {string.Join(", ", urls)}";

    public override bool IsSessionGrains => true;

    /// <summary>The processes <c>--pids</c> names, each under its role; none when not given.</summary>
    public override IReadOnlyList<SutProcess> Processes { get; } =
        [.. pids.Select((entry, i) => new SutProcess($"{entry.Key} {i + 1}", entry.Key, entry.Value))];

    public override IReadOnlyList<Uri> Endpoints => urls;

    public override Task Start(CancellationToken cancellationToken)
    {
        BaseAddress = urls[0];
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
