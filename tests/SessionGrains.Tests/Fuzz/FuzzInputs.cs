using System.Text;
using CsCheck;

namespace SessionGrains.Tests.Fuzz;

/// <summary>One fuzzed HTTP request; placeholders in <see cref="Path"/> are filled with the session's values when sent.</summary>
public sealed record FuzzRequest(
    string Method, string Path, byte[]? Body, string? ContentType, string Credential,
    string? IdempotencyKey, string? IfMatch, string? Origin, string? FetchSite, string? ApiKey, string? Accept, string? Extra)
{
    public override string ToString() =>
        $"{Method} {Path} [{Credential}] ct={ContentType ?? "-"} idem={IdempotencyKey ?? "-"} if-match={IfMatch ?? "-"} origin={Origin ?? "-"} " +
        $"fetch-site={FetchSite ?? "-"} api-key={ApiKey ?? "-"} accept={Accept ?? "-"} extra={Extra ?? "-"} body={Preview(Body)}";

    private static string Preview(byte[]? body) =>
        body is null ? "-" : body.Length <= 160 ? Encoding.UTF8.GetString(body) : Encoding.UTF8.GetString(body, 0, 160) + $"… ({body.Length} bytes)";
}

/// <summary>CsCheck generators of random and malformed input for every route of the front end.</summary>
public static class FuzzInputs
{
    /// <summary>Route templates: {key} a data key, {id} a session id, {user} a user id, {q} a query string.</summary>
    private static readonly (string Method, string Path)[] Routes =
    [
        ("POST", "/sessions"), ("GET", "/sessions/current"), ("DELETE", "/sessions/current"),
        ("GET", "/sessions/current/data/{key}"), ("PUT", "/sessions/current/data/{key}"), ("DELETE", "/sessions/current/data/{key}"),
        ("PATCH", "/sessions/current/data"), ("POST", "/sessions/current/counters/{key}/increment{q}"),
        ("POST", "/sessions/current/rotate"), ("GET", "/sessions/current/placement"), ("GET", "/sessions/current/ws{q}"),
        ("POST", "/sessions/current/messages"), ("GET", "/admin/cluster"), ("GET", "/admin/sessions/{id}"),
        ("GET", "/admin/sessions/{id}/placement"), ("GET", "/admin/users/{user}/sessions"), ("DELETE", "/admin/users/{user}/sessions"),
        ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi/v1.json"), ("GET", "/"),
        ("GET", "/dashboard/{q}"), ("GET", "/no/such/{key}"),
        ("POST", "/sessions/current/jobs{q}"), ("GET", "/sessions/current/jobs"), ("GET", "/sessions/current/jobs/{key}"),
        ("DELETE", "/sessions/current/jobs/{key}"), ("GET", "/sessions/current/jobs/{key}/output"),
    ];

    private static readonly Gen<string> Printable = Gen.Char[' ', '~'].Array[0, 80].Select(c => new string(c));

    private static readonly Gen<string> AnyText = Gen.Frequency(
        (3, Printable),
        (1, Gen.Char.Array[0, 40].Select(c => new string(c))),   // any UTF-16, lone surrogates included
        (1, Gen.OneOf("", "\ud800", "\udfff", "a\u0000b", "ü", "😀", "\u202e", new string('k', 300), "../..", "%2F", "a b")));

    private static readonly Gen<string> Key = Gen.Frequency(
        (4, Gen.OneOf("a", "n", "cart", "k1", "x.y:z", "long-" + new string('k', 123))),
        (2, AnyText.Select(Uri.EscapeDataString)),
        (1, Gen.OneOf("%00", "%2e%2e", "a%2Fb", "%ZZ", "%", "..", ".", "%F0%9F", "%ED%A0%80")));

    private static readonly Gen<string> Query = Gen.Frequency(
        (3, Gen.Const("")),
        (2, Gen.OneOf("?by=1", "?by=-5", "?by=9223372036854775807", "?by=1.5", "?by=", "?by=abc", "?by=1&by=2", "?afterSeq=0", "?afterSeq=-1", "?afterSeq=99999999999999999999", "?key=wrong", "?kind=process", "?kind=render", "?kind=")),
        (1, Gen.OneOf("by", "afterSeq", "key", "x").SelectMany(name => AnyText.Select(v => $"?{name}={Uri.EscapeDataString(v)}"))));

    private static readonly Gen<string> JsonString = AnyText.Select(s => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"")
        .Select(s => s.Any(char.IsControl) ? s.Replace("\n", "\\n", StringComparison.Ordinal) : s);

    private static readonly Gen<string> JsonScalar = Gen.Frequency(
        (3, Gen.OneOf("null", "true", "false", "0", "-1", "1e999", "-0", "12345678901234567890123", "3.14", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u0000\"", "\"\\uZZZZ\"")),
        (2, Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (3, JsonString));

    /// <summary>JSON values, sometimes deeper than the parser allows, sometimes with repeated or invalid member names.</summary>
    private static readonly Gen<string> Json = Gen.Recursive<string>((depth, inner) => depth >= 4
        ? JsonScalar
        : Gen.Frequency(
            (3, JsonScalar),
            (2, inner.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (3, Gen.Select(Gen.OneOf(Gen.OneOf("a", "n", "cart", "data", "idleTimeoutSeconds", "userId", "type"), JsonString.Select(s => s.Trim('"'))), inner, (name, value) => $"\"{name}\":{value}")
                .Array[0, 4].Select(members => "{" + string.Join(",", members) + "}"))));

    private static readonly Gen<byte[]?> Body = Gen.Frequency(
        (2, Gen.Const<byte[]?>(default(byte[]))),
        (6, Json.Select(j => (byte[]?)Encoding.UTF8.GetBytes(j))),
        (2, Json.SelectMany(j => Gen.Int[0, Math.Max(0, j.Length - 1)].Select(cut => (byte[]?)Encoding.UTF8.GetBytes(j[..cut])))),   // truncated
        (1, Gen.Byte.Array[0, 64].Select(b => (byte[]?)b)),
        (1, Gen.OneOf("{\"data\":{\"a\":1},\"idleTimeoutSeconds\":600000000000}", "{\"a\":1,\"a\":2}", new string('[', 100) + new string(']', 100),
            "\ufeff{\"a\":1}", "{\"userId\":\"ada\"}", "{\"type\":\"ping\"}", "{\"data\":null,\"idleTimeoutSeconds\":1.5}").Select(s => (byte[]?)Encoding.UTF8.GetBytes(s))));

    private static readonly Gen<string?> ContentType = Gen.Frequency(
        (6, Gen.Const<string?>("application/json")),
        (2, Gen.OneOf<string?>("application/merge-patch+json", "text/plain", "application/json; charset=utf-16", "application/xml", "application/octet-stream", "*/*", "application/", "+json", null)),
        (1, Printable.Select(s => (string?)s)));

    private static readonly Gen<string?> IfMatch = Gen.Frequency(
        (4, Gen.Const((string?)null)),
        (2, Gen.OneOf<string?>("\"1\"", "\"2\"", "*", "W/\"1\"", "\"0\"", "\"-1\"", "\"99999999999999999999\"", "\"1\", \"2\"", "1", "\"\"", "W/", "\"a\"")),
        (1, Printable.Select(s => (string?)s)));

    private static readonly Gen<string?> IdempotencyKey = Gen.Frequency(
        (4, Gen.Const((string?)null)),
        (3, Gen.OneOf<string?>("k-1", "k-2", "logout-everywhere", "fe:forged", "rotate", " ")),
        (1, Printable.Select(s => (string?)s)),
        (1, Gen.Const<string?>(new string('i', 65))));

    private static Gen<string?> Maybe(Gen<string?> gen, int absent) => Gen.Frequency((absent, Gen.Const((string?)null)), (1, gen));

    private static readonly Gen<(string Method, string Path)> Route = Gen.Frequency(
        (6, Gen.OneOf(Routes)),
        (1, Gen.Select(Gen.OneOf("GET", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "FOO"), Gen.OneOf(Routes), (method, route) => (method, route.Path))));

    private static readonly Gen<(string Method, string Path, byte[]? Body, string? ContentType, string Credential)> Target =
        Gen.Select(Route, Key, Query, Body, ContentType, Gen.OneOf("bearer", "bearer", "cookie", "none", "garbage", "bearer-and-cookie"),
            (route, key, query, body, contentType, credential) => (route.Method,
                route.Path.Replace("{key}", key, StringComparison.Ordinal).Replace("{q}", query, StringComparison.Ordinal), body, contentType, credential));

    /// <summary>A request to any route with random headers, credential and body.</summary>
    public static readonly Gen<FuzzRequest> Request = Target.SelectMany(t => Gen.Select(
        IdempotencyKey, IfMatch,
        Maybe(Gen.OneOf<string?>("self", "http://evil.example", "null"), 2),
        Maybe(Gen.OneOf<string?>("same-origin", "cross-site", "none", "same-site"), 3),
        Maybe(Gen.OneOf<string?>("valid", "wrong"), 3),
        Maybe(Gen.OneOf<string?>("text/html", "application/xml", "*/*", "application/problem+json"), 3),
        Maybe(Gen.OneOf<string?>("Authorization: Basic Zm9v", "Authorization: Bearer x.y", "Cookie: sid=garbage", "X-Forwarded-For: 203.0.113.99", "Transfer-Encoding: chunked"), 4),
        (key, ifMatch, origin, fetchSite, apiKey, accept, extra) =>
            new FuzzRequest(t.Method, t.Path, t.Body, t.ContentType, t.Credential, key, ifMatch, origin, fetchSite, apiKey, accept, extra)));

    /// <summary>A short sequence of requests on one session.</summary>
    public static readonly Gen<FuzzRequest[]> Sequence = Request.Array[1, 8];

    /// <summary>WebSocket frames a client might send: text, binary, pings, oversized, broken UTF-8.</summary>
    public static readonly Gen<(bool Binary, byte[] Payload)[]> Frames = Gen.Frequency(
            (3, Gen.Const((false, "{\"type\":\"ping\"}"u8.ToArray()))),
            (2, Json.Select(j => (false, Encoding.UTF8.GetBytes(j)))),
            (1, Gen.Byte.Array[0, 64].Select(b => (true, b))),
            (1, Gen.Byte.Array[0, 32].Select(b => (false, b))),
            (1, Gen.Int[4000, 9000].Select(n => (false, Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"pad\":\"" + new string('p', n) + "\"}")))))
        .Array[1, 6];
}
