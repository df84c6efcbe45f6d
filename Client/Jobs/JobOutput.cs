using System.Globalization;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Sessions;
using SessionGrains.Interfaces;

namespace SessionGrains.Client.Jobs;

/// <summary>
/// <c>GET /sessions/current/jobs/{id}/output</c>: the job's committed output, streamed while the job produces it.
/// When the final length is known in advance (both built-in kinds), every answer carries it: 200 with Content-Length,
/// or 206 with Content-Range for <c>Range: bytes=N-</c> / <c>bytes=N-M</c>, honoured only when <c>If-Range</c> (if
/// any) is the job's ETag. Bytes are served only once checkpointed, so a client cut off at byte N that asks any front
/// end for <c>bytes=N-</c> gets exactly the bytes it would have got. While the job's silo fails over the response
/// just pauses: the job resumes elsewhere and the stream goes on.
/// </summary>
public static class JobOutput
{
    /// <summary>A stream with no new byte for this long is cut (the client may resume with Range).</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    /// <summary>One long poll for new output: under the front end's 3 s grain response timeout (cluster mode).</summary>
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(2);

    public static async Task Stream(string id, SessionIdentity session, HttpContext http, JobGateway gateway, IOptions<JobRules> rules, CancellationToken cancellationToken)
    {
        if (!JobKeys.IsValidId(id))
        {
            await JobEndpoints.NotAJobId.ExecuteAsync(http);
            return;
        }
        var job = gateway.Job(session.Id!, id);
        var first = await gateway.Call(() => job.Read(0, 0), cancellationToken);
        if (!first.Succeeded)
        {
            await SessionProblems.From(first.Failure, http).ExecuteAsync(http);
            return;
        }
        var info = first.Value.Info;
        // The length the output will have: planned, or what there is once the job has ended without finishing it.
        long? total = info.IsFinished && (info.Status != JobStatus.Succeeded || info.OutputLength is null) ? info.OutputBytes : info.OutputLength;
        var range = RangeOf(http.Request, info.ETag);
        long from = 0, end = total ?? long.MaxValue;
        var response = http.Response;
        response.Headers.ETag = info.ETag;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        if (range is { } r)
        {
            from = r.From;
            if (total is { } length && from >= length)
            {
                response.Headers.ContentRange = $"bytes */{length}";
                await SessionProblems.Problem(StatusCodes.Status416RangeNotSatisfiable, "range-not-satisfiable", "Range not satisfiable",
                    $"The output has {length} bytes; the range starts at {from}.").ExecuteAsync(http);
                return;
            }
            if (total is null)
            {
                // Unknown final length: a range covers what is committed now (the client asks again for more).
                var now = (await gateway.Call(() => job.WaitForOutput(from, LongPoll), cancellationToken));
                var committed = now.Succeeded ? now.Value.OutputBytes : 0;
                if (from >= committed)
                {
                    response.Headers.ContentRange = $"bytes */{committed}";
                    await SessionProblems.Problem(StatusCodes.Status416RangeNotSatisfiable, "range-not-satisfiable", "Range not satisfiable",
                        $"The output has {committed} bytes so far; the range starts at {from}.").ExecuteAsync(http);
                    return;
                }
                end = committed;
            }
            if (r.To is { } to && to + 1 < end) end = to + 1;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {from}-{end - 1}/{(total is { } t ? t.ToString(CultureInfo.InvariantCulture) : "*")}";
        }
        if (end != long.MaxValue) response.ContentLength = end - from;
        response.ContentType = info.ContentType;
        await response.StartAsync(cancellationToken);
        if (HttpMethods.IsHead(http.Request.Method)) return;
        await Copy(job, gateway, response, from, end, rules.Value.ChunkBytes, cancellationToken);
    }

    private static async Task Copy(IJobGrain job, JobGateway gateway, HttpResponse response, long offset, long end, int chunk, CancellationToken cancellationToken)
    {
        try
        {
            while (offset < end)
            {
                var want = (int)Math.Min(chunk, end - offset);
                var at = offset;
                var slice = await gateway.Call(() => job.Read(at, want), StallTimeout, cancellationToken);
                if (!slice.Succeeded)
                {
                    response.HttpContext.Abort(); // the job was discarded mid-stream
                    return;
                }
                if (slice.Value.Bytes.Length > 0)
                {
                    await response.Body.WriteAsync(slice.Value.Bytes, cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    offset += slice.Value.Bytes.Length;
                    continue;
                }
                var info = slice.Value.Info;
                if (info.IsFinished)
                {
                    // Ended short of the promised length (failed or cancelled): cut the response so the client sees it is incomplete.
                    if (end != long.MaxValue) response.HttpContext.Abort();
                    return;
                }
                await gateway.Call(() => job.WaitForOutput(at, LongPoll), StallTimeout, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception ex) when (GrainFailures.IsUnavailable(ex))
        {
            // The job could not be reached for StallTimeout: cut the response; the client resumes with Range.
            response.HttpContext.Abort();
        }
    }

    private readonly record struct ByteRange(long From, long? To);

    /// <summary>One <c>bytes=N-</c> or <c>bytes=N-M</c> range, unless If-Range names another representation; anything else is ignored (200).</summary>
    private static ByteRange? RangeOf(HttpRequest request, string etag)
    {
        var header = request.Headers.Range.ToString();
        if (header.Length == 0 || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return null;
        var ifRange = request.Headers.IfRange.ToString();
        if (ifRange.Length > 0 && ifRange != etag) return null;
        var spec = header["bytes=".Length..].Trim();
        if (spec.Contains(',')) return null;
        var dash = spec.IndexOf('-');
        if (dash <= 0 || !long.TryParse(spec[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var from)) return null;
        var rest = spec[(dash + 1)..];
        if (rest.Length == 0) return new ByteRange(from, null);
        if (!long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var to) || to < from) return null;
        return new ByteRange(from, to);
    }
}
