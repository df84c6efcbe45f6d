using SessionGrains.Bench.LoadGen.Cpu;

namespace SessionGrains.Bench.LoadGen.Targets;

/// <summary>A SessionGrains front end that is already running at <c>--url</c> (for experiments on a changed build); not started or stopped here.</summary>
public sealed class ExternalTarget(Uri url) : BenchTarget
{
    public override string Key => "external";

    public override string Description => $"SessionGrains at {url}";

    public override bool IsSessionGrains => true;

    /// <summary>Not started here: its processes, and so its CPU time, are unknown.</summary>
    public override IReadOnlyList<SutProcess> Processes => [];

    public override Task Start(CancellationToken cancellationToken)
    {
        BaseAddress = url;
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
