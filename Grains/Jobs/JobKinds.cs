using System.Text.Json;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

/// <summary>The job kinds registered on the silo (every <see cref="IJobKind"/> in DI), and the one check of a job's input.</summary>
public sealed class JobKinds(IEnumerable<IJobKind> kinds, IOptions<JobRules> rules)
{
    private readonly Dictionary<string, IJobKind> _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);
    private readonly JobRules _rules = rules.Value;

    public IJobKind? Find(string name) => _kinds.GetValueOrDefault(name);

    /// <summary>Plans <paramref name="start"/>, or answers why it is refused (nothing is stored before this passes).</summary>
    public SessionFailure? Check(JobStart start, out IJobKind kind, out JobPlan plan)
    {
        plan = JobPlan.Invalid("");
        if (Find(start.Kind) is not { } found)
        {
            kind = null!;
            return new SessionFailure(SessionStatus.InvalidArgument,
                $"Unknown job kind '{(start.Kind.Length <= 32 ? start.Kind : start.Kind[..32])}'; this service runs: {string.Join(", ", _kinds.Keys.Order(StringComparer.Ordinal))}.");
        }
        kind = found;
        var upload = start.Upload?.Length ?? 0;
        if (upload > _rules.MaxUploadBytes)
            return new SessionFailure(SessionStatus.JobTooLarge, $"The upload has {upload} bytes; at most {_rules.MaxUploadBytes} are accepted.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(start.InputJson);
        }
        catch (JsonException)
        {
            return new SessionFailure(SessionStatus.InvalidArgument, "The job's input is not JSON.");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return new SessionFailure(SessionStatus.InvalidArgument, "The job's input must be a JSON object.");
            try
            {
                plan = kind.Plan(new JobRequest(document.RootElement, upload, _rules.ChunkBytes));
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
            {
                return new SessionFailure(SessionStatus.InvalidArgument, $"The {kind.Name} input is not valid: {ex.Message}");
            }
        }
        if (plan.Error is { } error) return new SessionFailure(SessionStatus.InvalidArgument, error);
        if (plan.Steps is < 1 or > 1_000_000) return new SessionFailure(SessionStatus.InvalidArgument, $"The {kind.Name} job plans {plan.Steps} steps; 1 to 1,000,000 are allowed.");
        if (plan.OutputLength > _rules.MaxOutputBytes)
            return new SessionFailure(SessionStatus.JobTooLarge, $"The output would have {plan.OutputLength} bytes; at most {_rules.MaxOutputBytes} are allowed (Jobs:MaxOutputBytes).");
        return null;
    }
}
