namespace SessionGrains.Interfaces;

/// <summary>The syntax of session ids, data keys and idempotency keys: one place for both sides of the grain boundary.</summary>
public static class SessionKeys
{
    /// <summary>Length of a session id: 16 random bytes in base64url without padding.</summary>
    public const int IdLength = 22;

    /// <summary>1..maxLength characters of A-Z a-z 0-9 _ - . :</summary>
    public static bool IsValidKey(string? key, int maxLength)
    {
        if (string.IsNullOrEmpty(key) || key.Length > maxLength) return false;
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':')) return false;
        }
        return true;
    }

    /// <summary>Why <paramref name="key"/> was refused, for a problem detail.</summary>
    public static string InvalidKeyDetail(string key, int maxLength) =>
        $"'{(key.Length <= 40 ? key : key[..40] + "…")}' is not a valid key: 1-{maxLength} characters of A-Z a-z 0-9 _ - . :";

    /// <summary>A well-formed session id: exactly <see cref="IdLength"/> base64url characters.</summary>
    public static bool IsValidId(ReadOnlySpan<char> id)
    {
        if (id.Length != IdLength) return false;
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) return false;
        }
        return true;
    }

    /// <summary>Longest idempotency key, in characters.</summary>
    public const int MaxIdempotencyKeyLength = 64;

    /// <summary>Prefix of the idempotency keys the front end assigns to writes that came without one.</summary>
    public const string FrontEndKeyPrefix = "fe:";

    /// <summary>
    /// Prefix of the keys a standalone front end assigns instead: its retries stay in its own process, with the session's
    /// activation, so the grain keeps these answers in memory and never stores them (a stored ledger entry per write
    /// was a fifth of a standalone write's cost). Reserved: a client's key may not start with it.
    /// </summary>
    public const string LocalFrontEndKeyPrefix = "fl:";

    /// <summary>
    /// 96 random bits drawn once per process: with a counter after them, keys and ids unique across processes and restarts
    /// without a random draw per write (each draw is a call into the system's cryptographic library).
    /// </summary>
    private static readonly string ProcessNonce = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    private static long _issued;

    /// <summary>A unique id for this process' own use (lease ids, keys): the process nonce (16 characters) and a counter.</summary>
    public static string NewUniqueId() => ProcessNonce + NextCount();

    /// <summary>A stored key for a write that came without one (<see cref="FrontEndKeyPrefix"/>): unique across front ends and restarts.</summary>
    public static string NewFrontEndKey() => FrontEndKeyPrefix + NewUniqueId();

    /// <summary>
    /// A key kept in memory only (<see cref="LocalFrontEndKeyPrefix"/>), for a write whose retries stay with its activation.
    /// Unique across processes as well: live migration carries these answers to another silo, whose own writes to the
    /// session must never meet a key of this process (a replayed answer instead of their change).
    /// </summary>
    public static string NewLocalKey() => LocalFrontEndKeyPrefix + NewUniqueId();

    private static string NextCount() => Interlocked.Increment(ref _issued).ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="key"/> was assigned by a front end (either prefix): it is kept for the front end's window.</summary>
    public static bool IsFrontEndKey(string key) =>
        key.StartsWith(FrontEndKeyPrefix, StringComparison.Ordinal) || key.StartsWith(LocalFrontEndKeyPrefix, StringComparison.Ordinal);

    /// <summary>Whether the answer under <paramref name="key"/> is kept in memory only (<see cref="LocalFrontEndKeyPrefix"/>).</summary>
    public static bool IsLocalKey(string key) => key.StartsWith(LocalFrontEndKeyPrefix, StringComparison.Ordinal);

    /// <summary>A client's idempotency key: 1-<see cref="MaxIdempotencyKeyLength"/> printable ASCII characters.</summary>
    public static bool IsValidIdempotencyKey(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxIdempotencyKeyLength) return false;
        foreach (var c in key)
        {
            if (c is < ' ' or > '~') return false;
        }
        return true;
    }

    public static readonly string IdempotencyKeyRule = $"Idempotency-Key must be 1-{MaxIdempotencyKeyLength} printable ASCII characters.";
}
