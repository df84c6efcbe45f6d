using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using SessionGrains.Client.Sessions;

namespace SessionGrains.Client.Sockets;

/// <summary>
/// The front end's global WebSocket cap (<see cref="SessionSocketOptions.MaxSockets"/>): a place is taken before the
/// upgrade and given back when the socket ends, so a flood of sockets over many sessions cannot exhaust the process.
/// </summary>
public sealed class SocketCapacity(IOptions<SessionSocketOptions> options, IOptions<FrontEndOptions> frontEnd)
{
    private int _open;

    /// <summary>Sockets open or opening on this front end now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Takes a place, or answers 503 <c>server-busy</c> with Retry-After when every place is taken.</summary>
    public bool TryTake(HttpContext http, out ProblemHttpResult? refused)
    {
        refused = null;
        if (Interlocked.Increment(ref _open) <= options.Value.MaxSockets) return true;
        Interlocked.Decrement(ref _open);
        http.Response.Headers.RetryAfter = frontEnd.Value.UnavailableRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        refused = SessionProblems.Problem(StatusCodes.Status503ServiceUnavailable, "server-busy", "Server busy",
            $"This front end holds its most WebSockets ({options.Value.MaxSockets}); retry later or through another front end.");
        return false;
    }

    public void Return() => Interlocked.Decrement(ref _open);
}
