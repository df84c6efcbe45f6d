using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using SessionGrains.Client;
using SessionGrains.Client.Admin;
using SessionGrains.Grains;
using Xunit;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>
/// The real front end in standalone mode (co-hosted silo, SQLite storage in a temp folder), listening on
/// a free loopback port. Extra settings come from <see cref="Settings"/> (configuration key to value).
/// </summary>
public class StandaloneFrontEnd : IAsyncLifetime
{
    private WebApplication? _app;

    public string ContentRoot { get; } = RepositoryPaths.NewTempFolder("standalone");

    public Uri BaseAddress { get; private set; } = null!;

    public string ApiKey => Services.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKey!;

    public IServiceProvider Services => _app!.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether the front end keeps its default abuse limits (rate limits per address, what anonymous creators may ask
    /// for). Off by default: most tests create many sessions from one loopback address; the security tests turn it on.
    /// </summary>
    protected virtual bool AbuseLimits => false;

    /// <summary>
    /// Settings that lift the abuse limits, for fixtures that do not test them; the WebSocket send timeout is long
    /// enough for tests that stall a reader on purpose (a loaded machine can take longer than the default 10 s).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> WithoutAbuseLimits = new Dictionary<string, string>
    {
        ["RateLimits:Enabled"] = "false",
        ["Anonymous:MaxDataBytes"] = "4194304",
        ["Anonymous:MaxIdleTimeout"] = "7.00:00:00",
        ["WebSockets:SendTimeout"] = "00:01:00",
    };

    /// <summary>Last changes to the front end's builder, e.g. extra telemetry exporters.</summary>
    protected virtual void Configure(WebApplicationBuilder builder)
    {
    }

    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(2);
        var args = new List<string>
        {
            "--urls", "http://127.0.0.1:0",
            "--contentRoot", ContentRoot,
            "--webroot", Path.Combine(RepositoryPaths.Root, "Client", "wwwroot"),
            "--Cluster:SiloPort", ports[0].ToString(),
            "--Cluster:GatewayPort", ports[1].ToString(),
            "--Logging:LogLevel:Default", "Warning",
        };
        if (!AbuseLimits)
        {
            foreach (var (key, value) in WithoutAbuseLimits) args.AddRange([$"--{key}", value]);
        }
        foreach (var (key, value) in Settings) args.AddRange([$"--{key}", value]);
        _app = FrontEndHost.Build([.. args], Configure);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    /// <summary>A client that keeps no cookies: each test says which token it presents.</summary>
    public HttpClient CreateClient() =>
        new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Ids of the session grains active in the co-hosted silo now.</summary>
    public async Task<IReadOnlySet<string>> ActiveSessionIds()
    {
        var stats = await Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics([GrainTypes.Of<SessionGrain>()]);
        return stats.Select(s => s.GrainId.Key.ToString()!).ToHashSet();
    }

    /// <summary>Ids of the sessions stored in the co-hosted silo's SQLite file now (a creation stores a session without activating it).</summary>
    public async Task<IReadOnlySet<string>> StoredSessionIds()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(ContentRoot, "data", "sessions.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT id FROM session_field";
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try
        {
            Directory.Delete(ContentRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
