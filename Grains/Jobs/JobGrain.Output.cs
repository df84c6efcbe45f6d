using System.Text.Json;
using SessionGrains.Interfaces;

namespace SessionGrains.Grains.Jobs;

// Reading committed output, waiting for more, job events on the session's log, and discarding a job.
public sealed partial class JobGrain
{
    private TaskCompletionSource _grew = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private (long Index, byte[] Bytes)? _cached;
    private Task _publishing = Task.CompletedTask;

    public async Task<Reply<OutputSlice>> Read(long offset, int maxBytes)
    {
        if (!S.Exists) return NotFound;
        if (offset < 0 || maxBytes < 0) return new SessionFailure(SessionStatus.InvalidArgument, "Offset and length must not be negative.");
        var info = Info().Value!;
        if (offset >= S.Committed || maxBytes == 0) return new OutputSlice(offset, [], info);

        var size = S.ChunkBytes;
        var index = offset / size;
        var within = (int)(offset % size);
        byte[] chunk;
        if (index == S.Committed / size && _runner is not null) chunk = _tail;
        else if (_cached is { } cached && cached.Index == index) chunk = cached.Bytes;
        else
        {
            chunk = await _store.ReadChunk(JobStore.OutputChunk(index)) ?? [];
            // Only full chunks are final; the last one may still grow (or hold uncommitted bytes).
            if (chunk.Length == size && (index + 1) * size <= S.Committed) _cached = (index, chunk);
        }
        var available = (int)Math.Min(Math.Min(chunk.Length - within, S.Committed - offset), maxBytes);
        if (available <= 0) throw new InvalidOperationException($"Job {this.GetPrimaryKeyString()}: committed output chunk {index} is missing.");
        return new OutputSlice(offset, chunk.AsSpan(within, available).ToArray(), info);
    }

    public async Task<Reply<JobInfo>> WaitForOutput(long offset, TimeSpan wait)
    {
        if (!S.Exists) return NotFound;
        if (S.Committed <= offset && !S.IsFinished && wait > TimeSpan.Zero)
        {
            var grew = _grew.Task;
            await grew.WaitAsync(wait < TimeSpan.FromSeconds(20) ? wait : TimeSpan.FromSeconds(20)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        }
        return S.Exists ? Info() : NotFound;
    }

    private void OutputGrew()
    {
        var grew = _grew;
        _grew = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        grew.TrySetResult();
    }

    public async Task Discard()
    {
        StopRunner();
        if (S.Exists)
        {
            var now = _clock.GetUtcNow();
            var chunks = (S.Committed + S.ChunkBytes - 1) / Math.Max(1, S.ChunkBytes);
            for (var i = 0L; i < chunks; i++) await _store.Blank(JobStore.OutputChunk(i), now);
            // Chunks an uncommitted checkpoint wrote past the end.
            for (var i = chunks; await _store.Blank(JobStore.OutputChunk(i), now); i++)
            {
            }
            for (var i = 0; i < S.UploadChunks; i++) await _store.Blank(JobStore.UploadChunk(i), now);
            await _writing.WaitAsync();
            try
            {
                await _store.ClearState(_state);
            }
            finally
            {
                _writing.Release();
            }
        }
        _state.State = new JobState();
        _pending.SetLength(0);
        _cached = null;
        OutputGrew();
        await Unremind();
        DeactivateOnIdle();
    }

    private double _publishedProgress = double.NegativeInfinity;
    private DateTimeOffset _publishedAt;

    /// <summary>
    /// A progress event when progress moved by <see cref="JobRules.ProgressEventStep"/> or
    /// <see cref="JobRules.ProgressEventInterval"/> passed since the last one, so a long job does not crowd the session's
    /// event log; never while the previous one is on its way (they are coalesced, never queued).
    /// </summary>
    private void PublishProgress()
    {
        var now = _clock.GetUtcNow();
        if (!_publishing.IsCompleted) return;
        if (Progress - _publishedProgress < _rules.ProgressEventStep && now - _publishedAt < _rules.ProgressEventInterval) return;
        _publishedProgress = Progress;
        _publishedAt = now;
        _publishing = Publish(SessionEventKind.JobProgress);
    }

    /// <summary>The end event, after any event on its way; remembered in the state once the session has it.</summary>
    private void PublishFinal()
    {
        var previous = _publishing;
        _publishing = Final(previous);

        async Task Final(Task previous)
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
            var kind = S.Status switch
            {
                JobStatus.Succeeded => SessionEventKind.JobCompleted,
                JobStatus.Cancelled => SessionEventKind.JobCancelled,
                _ => SessionEventKind.JobFailed,
            };
            if (!await Publish(kind) || !S.Exists) return;
            try
            {
                await WriteState(s => s with { FinalEventSent = true });
            }
            catch (Exception ex)
            {
                LogPublishFailed(ex, this.GetPrimaryKeyString(), kind);
            }
        }
    }

    /// <summary>Appends the job's event to its session's log; a session that is gone takes its jobs with it.</summary>
    private async Task<bool> Publish(SessionEventKind kind)
    {
        try
        {
            var reply = await GrainFactory.Reference<ISessionGrain>(SessionId).PublishJobEvent(kind, EventJson());
            if (reply.Status == SessionStatus.SessionNotFound)
            {
                _sessionGone = true;
                if (S.IsFinished && S.Exists) await Discard();
            }
            return reply.Succeeded;
        }
        catch (Exception ex)
        {
            LogPublishFailed(ex, this.GetPrimaryKeyString(), kind);
            return false;
        }
    }

    private string EventJson()
    {
        var info = Info().Value!;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", info.Id);
            writer.WriteString("kind", info.Kind);
            writer.WriteString("status", JobJson.StatusName(info.Status));
            writer.WriteNumber("progress", info.Progress);
            writer.WriteNumber("checkpoints", info.Checkpoints);
            writer.WriteNumber("outputBytes", info.OutputBytes);
            if (info.Error is { } error) writer.WriteString("error", error);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
