namespace SessionGrains.Client.Security;

/// <summary>Whether an <c>Origin</c> header names the origin a request was sent to: the same host and port.</summary>
public static class SameOrigin
{
    /// <summary>
    /// Compares host and port with the request's <c>Host</c> (a proxy must pass it unchanged); a port left out counts as
    /// the default port of the origin's scheme. The scheme is not compared, so a TLS-terminating proxy that is not
    /// configured as trusted still works; cookies are then not marked Secure.
    /// </summary>
    public static bool Matches(string? origin, HttpRequest request)
    {
        if (string.IsNullOrEmpty(origin) || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return false;
        if (!request.Host.HasValue || !string.Equals(uri.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase)) return false;
        var port = request.Host.Port ?? (uri.Scheme == "https" ? 443 : 80);
        return port == uri.Port;
    }
}
