using System.Security.Cryptography;

namespace SessionGrains.Http;

/// <summary>
/// Gives every write (POST, PUT, PATCH, DELETE) without an <c>Idempotency-Key</c> a new one. It runs outside the
/// resilience handler, so the key is made once per logical call and every retry of that call repeats it: the service
/// then applies the write at most once.
/// </summary>
public sealed class IdempotencyKeyHandler : DelegatingHandler
{
    /// <summary>The header name.</summary>
    public const string Header = "Idempotency-Key";

    /// <inheritdoc />
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Ensure(request);
        return base.SendAsync(request, cancellationToken);
    }

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Ensure(request);
        return base.Send(request, cancellationToken);
    }

    /// <summary>A new key: <c>c:</c> and 16 random bytes in base64url.</summary>
    public static string NewKey()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return "c:" + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static void Ensure(HttpRequestMessage request)
    {
        var method = request.Method;
        var write = method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch || method == HttpMethod.Delete;
        if (write && !request.Headers.Contains(Header)) request.Headers.TryAddWithoutValidation(Header, NewKey());
    }
}
