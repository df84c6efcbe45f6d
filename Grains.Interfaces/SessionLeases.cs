namespace SessionGrains.Interfaces;

/// <summary>
/// A granted request lease: its id, until when it is guaranteed (it stays held after that until another request
/// takes it over), and the session as it stood when the lease was granted, so one call both locks and loads.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LeaseGranted(
    [property: Id(0)] string LeaseId,
    [property: Id(1)] DateTimeOffset ExpiresAt,
    [property: Id(2)] SessionView Session);

/// <summary>
/// The rules of request leases: an in-memory, per-session lock that serializes the requests that hold it (a
/// read-modify-write of session data), granted in FIFO order. Writes without a lease are not affected by it.
/// </summary>
public static class SessionLeases
{
    /// <summary>How long a lease is guaranteed when the caller names no time to live.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    /// <summary>The longest time to live a caller may ask for.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromMinutes(5);

    /// <summary>Longest lease id, in characters.</summary>
    public const int MaxIdLength = 64;

    /// <summary>A lease id: 1-<see cref="MaxIdLength"/> printable ASCII characters other than space.</summary>
    public static bool IsValidId(string? leaseId)
    {
        if (string.IsNullOrEmpty(leaseId) || leaseId.Length > MaxIdLength) return false;
        foreach (var c in leaseId)
        {
            if (c is <= ' ' or > '~') return false;
        }
        return true;
    }

    /// <summary>The lease id rule, for problem details.</summary>
    public static readonly string IdRule = $"A lease id must be 1-{MaxIdLength} printable ASCII characters without spaces.";
}
