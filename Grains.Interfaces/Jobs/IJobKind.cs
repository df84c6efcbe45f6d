using System.Text.Json;

namespace SessionGrains.Interfaces;

/// <summary>
/// A kind of job, e.g. <c>render</c> or <c>process</c>. An application adds a kind by implementing this interface and
/// registering it on the silos (<c>services.AddSingleton&lt;IJobKind, MyKind&gt;()</c>); clients then start it with
/// <c>POST /sessions/current/jobs {"kind": Name, "input": {...}}</c>.
/// <para>
/// The job framework runs <see cref="Run"/> once per step, in order, and checkpoints the output and the kind's state of
/// every step it has finished. After a crash it calls <see cref="Run"/> again from the step after the last checkpoint,
/// with that checkpoint's state. A kind must therefore be a pure function of (input, upload, step, state): the same
/// arguments give the same output bytes and state. Then a crash is invisible in the output.
/// </para>
/// </summary>
public interface IJobKind
{
    /// <summary>The name clients use: 1-32 characters of a-z 0-9 - _.</summary>
    string Name { get; }

    /// <summary>
    /// Checks the input and plans the job: number of steps, content type and, when it can be known in advance, the exact
    /// output length (then every response carries Content-Length and Range works while the job runs).
    /// Answers <see cref="JobPlan.Invalid"/> for bad input: nothing is started.
    /// </summary>
    JobPlan Plan(JobRequest request);

    /// <summary>Runs one step; called off the grain's thread, so it may take real CPU (keep a step under a second).</summary>
    JobStepResult Run(JobStep step);
}

/// <summary>What <see cref="IJobKind.Plan"/> sees: the input (a JSON object) and the uploaded file's size.</summary>
public sealed record JobRequest(JsonElement Input, long UploadBytes, int UploadChunkBytes);

/// <summary>The plan of a job, or why its input was refused.</summary>
public sealed record JobPlan(int Steps, string ContentType, long? OutputLength, string? Error = null)
{
    public static JobPlan Invalid(string error) => new(0, "", null, error);
}

/// <summary>
/// One step: its number (0-based) of <see cref="Steps"/>, the state the previous step returned (null at step 0), and
/// chunk number <see cref="Number"/> of the upload (empty past its end).
/// </summary>
public sealed record JobStep(JsonElement Input, int Number, int Steps, byte[]? State, ReadOnlyMemory<byte> UploadChunk, CancellationToken Cancellation);

/// <summary>The bytes a step appends to the output, and the state the next step receives.</summary>
public sealed record JobStepResult(byte[] Output, byte[]? State);
