using System.Net;
using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.Adoption;

/// <summary>The sample shop (samples/Shop) as a process on a free loopback port, with one session provider.</summary>
public sealed class ShopProcess : IAsyncDisposable
{
    public const string CookieName = ".Shop.Session";

    private readonly ChildProcess _process;

    private ShopProcess(ChildProcess process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output => _process.Output;

    /// <param name="settings">Configuration of the shop, e.g. Session:Provider.</param>
    public static async Task<ShopProcess> Start(string label, params (string Key, string Value)[] settings)
    {
        var dll = Path.Combine(RepositoryPaths.Root, "samples", "Shop", "bin", RepositoryPaths.Configuration, "net10.0", "SessionGrains.Samples.Shop.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build samples/Shop first ({RepositoryPaths.Configuration}).", dll);
        var address = new Uri($"http://127.0.0.1:{FreePorts.Take(1)[0]}/");
        var args = new List<string> { dll, "--urls", address.ToString().TrimEnd('/'), "--Logging:LogLevel:Default", "Warning" };
        foreach (var (key, value) in settings) args.AddRange([$"--{key}", value]);
        var process = ChildProcess.Start(label, "dotnet", args, Path.GetDirectoryName(dll)!);
        var shop = new ShopProcess(process, address);
        try
        {
            await process.WaitUntilReady(new Uri(address, "healthz"), TimeSpan.FromSeconds(60));
            return shop;
        }
        catch
        {
            await shop.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client that sends the cookie it is given and keeps none by itself.</summary>
    public HttpClient Client() => new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(90) };

    /// <summary>The shop's session cookie in a response, as <c>name=value</c>, or null.</summary>
    public static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).LastOrDefault(c => c.StartsWith(CookieName + "=", StringComparison.Ordinal))
            : null;

    /// <summary>GET <paramref name="path"/> with <paramref name="cookie"/>; fails unless 200.</summary>
    public static async Task<(string Body, string? SetCookie)> Get(HttpClient http, string path, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {body}");
        return (body, SessionCookie(response));
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
