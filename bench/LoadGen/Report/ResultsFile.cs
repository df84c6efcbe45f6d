using System.Text.Json;
using SessionGrains.Bench.LoadGen.Scenarios;

namespace SessionGrains.Bench.LoadGen.Report;

/// <summary>Everything one run measured, as JSON: the rows, the settings, the machine and where the load generator ran (<see cref="LoadGenPinning"/>, e.g. "pinned to CPU 1").</summary>
public sealed record ResultsFile(
    DateTimeOffset TakenAt,
    bool Quick,
    int Connections,
    double WarmupSeconds,
    double DurationSeconds,
    int Sockets,
    int Publishers,
    string Configuration,
    MachineInfo Machine,
    int OtherProcessesAtEnd,
    IReadOnlyList<string> Targets,
    IReadOnlyList<ScenarioResult> Results,
    string? LoadGenPinning = null,
    double WaitQuietSeconds = 0)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Options));

    public static ResultsFile Load(string path) => JsonSerializer.Deserialize<ResultsFile>(File.ReadAllText(path), Options)!;
}
