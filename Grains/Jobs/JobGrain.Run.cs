using System.Text.Json;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

// Running a job: one step per tick of a non-interleaving grain timer, checkpoints, the end.
public sealed partial class JobGrain
{
    /// <summary>Output computed beyond this much waits for a checkpoint (storage is down): memory stays bounded.</summary>
    private const int MaxPendingBytes = 8 * 1024 * 1024;

    private IJobKind? _kind;
    private JsonDocument? _input;
    private IGrainTimer? _runner;
    private int _nextStep;
    private byte[]? _kindState;
    /// <summary>Committed bytes of the last, partly filled output chunk: the next checkpoint rewrites that chunk longer.</summary>
    private byte[] _tail = [];
    private readonly MemoryStream _pending = new();
    private DateTimeOffset _lastCheckpoint;
    private DateTimeOffset _retryCheckpointAt;
    private bool _sessionGone;

    /// <summary>Loads what the last checkpoint committed and starts stepping from there.</summary>
    private async Task Begin(bool resumed)
    {
        _kind = _kinds.Find(S.Kind);
        _nextStep = S.StepsDone;
        _kindState = S.KindState;
        _pending.SetLength(0);
        _tail = [];
        var within = (int)(S.Committed % S.ChunkBytes);
        if (within > 0)
        {
            var chunk = await _store.ReadChunk(JobStore.OutputChunk(S.Committed / S.ChunkBytes));
            if (chunk is null || chunk.Length < within)
            {
                // Storage lost committed output (purged, or restored from an older copy): the job cannot go on.
                await Finish(JobStatus.Failed, "Committed output is missing from storage; start the job again.");
                return;
            }
            _tail = chunk[..within];
        }
        if (_kind is null)
        {
            await Finish(JobStatus.Failed, $"Kind '{S.Kind}' is not registered on this silo.");
            return;
        }
        _input?.Dispose();
        _input = Parse(S.InputJson);
        if (resumed)
        {
            LogResumed(this.GetPrimaryKeyString(), S.Checkpoints, S.StepsDone, S.Committed);
            _metrics.Resumed();
            _resumedNow = true;
        }
        _lastCheckpoint = _clock.GetUtcNow();
        _runner = this.RegisterGrainTimer(Step, new GrainTimerCreationOptions(TimeSpan.Zero, TimeSpan.FromMilliseconds(1)) { Interleave = false, KeepAlive = true });
    }

    /// <summary>Set when this activation resumed a job; counted in <see cref="JobState.Resumes"/> by the next checkpoint.</summary>
    private bool _resumedNow;

    private void StopRunner()
    {
        _runner?.Dispose();
        _runner = null;
    }

    private async Task Step(CancellationToken cancellationToken)
    {
        if (_runner is null || S.IsFinished) return;
        if (_sessionGone)
        {
            await Discard();
            return;
        }
        var now = _clock.GetUtcNow();
        if (now >= S.CreatedAt + _rules.MaxRunTime)
        {
            await Finish(JobStatus.Failed, $"The job ran longer than {_rules.MaxRunTime} (Jobs:MaxRunTime).");
            return;
        }
        var computing = _nextStep < S.Steps && _pending.Length < MaxPendingBytes;
        if (computing)
        {
            byte[] upload = [];
            try
            {
                if (_nextStep < S.UploadChunks) upload = await _store.ReadChunk(JobStore.UploadChunk(_nextStep)) ?? [];
            }
            catch (Exception ex) when (ex is not Orleans.Storage.InconsistentStateException)
            {
                // Storage is down: try this step again shortly.
                LogCheckpointFailed(ex, this.GetPrimaryKeyString());
                _runner?.Change(TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(1));
                return;
            }
            var step = new JobStep(_input!.RootElement, _nextStep, S.Steps, _kindState, upload, cancellationToken);
            JobStepResult result;
            try
            {
                var kind = _kind!;
                result = await Task.Run(() => kind.Run(step), cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                await Finish(JobStatus.Failed, $"Step {_nextStep} failed: {ex.Message}");
                return;
            }
            if (_runner is null) return;
            if (S.Committed + _pending.Length + result.Output.Length > _rules.MaxOutputBytes)
            {
                await Finish(JobStatus.Failed, $"The output grew past {_rules.MaxOutputBytes} bytes (Jobs:MaxOutputBytes).");
                return;
            }
            _pending.Write(result.Output);
            _kindState = result.State;
            _nextStep++;
        }
        var done = _nextStep == S.Steps;
        now = _clock.GetUtcNow();
        if ((done || now - _lastCheckpoint >= _rules.CheckpointInterval || _pending.Length >= MaxPendingBytes) && now >= _retryCheckpointAt)
        {
            try
            {
                await Checkpoint(final: done);
            }
            catch (Orleans.Storage.InconsistentStateException)
            {
                // Another activation has taken the job over: this one stops and goes.
                StopRunner();
                DeactivateOnIdle();
                return;
            }
            catch (Exception ex)
            {
                // Storage is down: keep the output in memory and try again shortly.
                LogCheckpointFailed(ex, this.GetPrimaryKeyString());
                _retryCheckpointAt = now + TimeSpan.FromMilliseconds(250);
            }
        }
        // Nothing to compute until a checkpoint gets through (storage down, or only the last one left): tick slower.
        if (!computing) _runner?.Change(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(1));
    }

    /// <summary>
    /// Makes the output computed so far durable: first the chunks it touches (the partly filled last one is rewritten
    /// longer, new ones are added), then the state that commits them. A crash between the two leaves chunk bytes past
    /// <see cref="JobState.Committed"/>, which nothing reads and the resumed job overwrites.
    /// </summary>
    private async Task Checkpoint(bool final)
    {
        var size = S.ChunkBytes;
        var bytes = new byte[_tail.Length + _pending.Length];
        _tail.CopyTo(bytes, 0);
        _pending.GetBuffer().AsSpan(0, (int)_pending.Length).CopyTo(bytes.AsSpan(_tail.Length));
        var firstChunk = S.Committed / size;
        var now = _clock.GetUtcNow();
        for (var at = 0; at < bytes.Length; at += size)
            await _store.WriteChunk(JobStore.OutputChunk(firstChunk + at / size), bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), S.PurgeAfter!.Value);

        var committed = S.Committed + _pending.Length;
        var status = final ? JobStatus.Succeeded : JobStatus.Running;
        string? error = null;
        if (final && S.OutputLength is { } planned && planned != committed)
        {
            status = JobStatus.Failed;
            error = $"The {S.Kind} job produced {committed} bytes but planned {planned}.";
        }
        var steps = _nextStep;
        var kindState = _kindState;
        var resumed = _resumedNow;
        await WriteState(s => s with
        {
            Status = status,
            Error = error,
            Committed = committed,
            StepsDone = steps,
            KindState = kindState,
            Checkpoints = s.Checkpoints + 1,
            CheckpointedAt = now,
            Resumes = s.Resumes + (resumed ? 1 : 0),
            ResumedFromBytes = resumed ? s.Committed : s.ResumedFromBytes,
            FinishedAt = final ? now : null,
            PurgeAfter = final ? now + _rules.Retention + TimeSpan.FromMinutes(1) : s.PurgeAfter,
        });
        _resumedNow = false;
        _metrics.Checkpointed(_pending.Length);
        var tailLength = bytes.Length % size;
        _tail = tailLength == 0 ? [] : bytes[^tailLength..];
        _pending.SetLength(0);
        _lastCheckpoint = now;
        OutputGrew();
        if (final) await Ended();
        else PublishProgress();
    }

    /// <summary>Ends a job that did not succeed: output not yet checkpointed is dropped, committed output stays readable.</summary>
    private async Task Finish(JobStatus status, string error)
    {
        StopRunner();
        var now = _clock.GetUtcNow();
        await WriteState(s => s with { Status = status, Error = error, FinishedAt = now, PurgeAfter = now + _rules.Retention + TimeSpan.FromMinutes(1) });
        _pending.SetLength(0);
        OutputGrew();
        await Ended();
    }

    private async Task Ended()
    {
        StopRunner();
        LogFinished(this.GetPrimaryKeyString(), S.Status, S.Checkpoints, S.Resumes);
        _metrics.Finished(S.Status);
        await RemindAtRetention();
        PublishFinal();
    }
}
