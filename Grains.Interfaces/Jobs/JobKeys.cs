namespace SessionGrains.Interfaces;

/// <summary>Job ids and the keys of job grains.</summary>
public static class JobKeys
{
    /// <summary>Length of a job id: 12 bytes in base64url.</summary>
    public const int IdLength = 16;

    public static string GrainKey(string sessionId, string jobId) => sessionId + ":" + jobId;

    /// <summary>The session id and job id of a job grain's key.</summary>
    public static (string SessionId, string JobId) Parse(string grainKey)
    {
        var at = grainKey.IndexOf(':', StringComparison.Ordinal);
        return (grainKey[..at], grainKey[(at + 1)..]);
    }

    /// <summary>A well-formed job id: <see cref="IdLength"/> base64url characters.</summary>
    public static bool IsValidId(ReadOnlySpan<char> id)
    {
        if (id.Length != IdLength) return false;
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) return false;
        }
        return true;
    }

    /// <summary>A kind name: 1-32 characters of a-z 0-9 - _.</summary>
    public static bool IsValidKind(string? kind) =>
        !string.IsNullOrEmpty(kind) && kind.Length <= 32 && kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');
}
