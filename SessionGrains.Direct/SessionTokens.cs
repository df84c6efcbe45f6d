using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;

namespace SessionGrains.Direct;

/// <summary>
/// Issues and checks session tokens <c>id.signature</c>, signature = HMAC-SHA256(key, id) in base64url.
/// Checking is constant-time and needs no grain: a forged or random token never reaches Orleans.
/// </summary>
public sealed class SessionTokens
{
    private const int SignatureLength = 43;
    private readonly byte[] _signingKey;
    private readonly ThreadLocal<HMACSHA256[]> _verifiers;

    public SessionTokens(IOptions<TokenOptions> options)
    {
        _signingKey = DecodeKey(options.Value.SigningKey ?? throw new InvalidOperationException("Tokens:SigningKey is not configured."));
        byte[][] verificationKeys = [_signingKey, .. options.Value.VerificationKeys.Select(DecodeKey)];
        _verifiers = new ThreadLocal<HMACSHA256[]>(() => [.. verificationKeys.Select(key => new HMACSHA256(key))]);
    }

    /// <summary>A new session id: 128 bits from a CSPRNG, base64url.</summary>
    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public string Issue(string id) => $"{id}.{Sign(_signingKey, id)}";

    /// <summary>The session id of a genuine token; false for anything malformed or not signed by a known key.</summary>
    public bool TryVerify(string? token, out string id)
    {
        id = "";
        if (token is null || token.Length != SessionKeys.IdLength + 1 + SignatureLength || token[SessionKeys.IdLength] != '.') return false;
        var idPart = token.AsSpan(0, SessionKeys.IdLength);
        if (!SessionKeys.IsValidId(idPart)) return false;

        Span<byte> presented = stackalloc byte[32];
        if (!TryDecodeSignature(token.AsSpan(SessionKeys.IdLength + 1), presented)) return false;

        Span<byte> idBytes = stackalloc byte[SessionKeys.IdLength];
        Encoding.ASCII.GetBytes(idPart, idBytes);
        Span<byte> expected = stackalloc byte[32];
        var genuine = false;
        foreach (var hmac in _verifiers.Value!)
        {
            // A keyed HMAC per thread and key: the key schedule is computed once, not per request.
            hmac.TryComputeHash(idBytes, expected, out _);
            genuine |= CryptographicOperations.FixedTimeEquals(expected, presented);
        }
        if (genuine) id = idPart.ToString();
        return genuine;
    }

    /// <summary>
    /// The 32 signature bytes, or false. The decoder throws (rather than answering false) on some malformed input, such as
    /// a last character whose unused bits are set: a forged token must be a 401, never a 500.
    /// </summary>
    private static bool TryDecodeSignature(ReadOnlySpan<char> signature, Span<byte> bytes)
    {
        try
        {
            return Base64Url.TryDecodeFromChars(signature, bytes, out var written) && written == bytes.Length;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Sign(byte[] key, string id) => Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(id)));

    private static byte[] DecodeKey(string base64)
    {
        var key = Convert.FromBase64String(base64);
        if (key.Length < 32) throw new InvalidOperationException("Token keys must be at least 32 bytes.");
        return key;
    }
}
