using System.Net;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Standalone;

/// <summary>The standalone process (dotnet run --project Client) keeps sessions, tokens and its API key across restarts.</summary>
public sealed class StandaloneRestartTests : IDisposable
{
    private readonly string _contentRoot = RepositoryPaths.NewTempFolder("restart");
    private readonly int[] _ports = FreePorts.Take(3);

    [Fact]
    public async Task A_stopped_and_restarted_standalone_process_serves_the_same_sessions_and_tokens()
    {
        string token, apiKey;
        await using (var first = await StartStandalone())
        {
            apiKey = await ApiKeyOf(first);
            token = await CreateSessionWithData();
            await first.Stop(TimeSpan.FromSeconds(20));
        }

        await using var second = await StartStandalone();
        Assert.Equal(apiKey, await ApiKeyOf(second));
        await AssertSessionIntact(token);
    }

    [Fact]
    public async Task Acknowledged_writes_survive_a_standalone_process_killed_with_SIGKILL()
    {
        string token;
        await using (var first = await StartStandalone())
        {
            token = await CreateSessionWithData();
            await first.Kill();
        }

        await using var second = await StartStandalone();
        await AssertSessionIntact(token);
    }

    private Uri BaseAddress => new($"http://127.0.0.1:{_ports[0]}");

    private async Task<ChildProcess> StartStandalone()
    {
        var process = ChildProcess.Start("standalone front end", "dotnet",
        [
            RepositoryPaths.ClientDll,
            "--contentRoot", _contentRoot,
            "--urls", BaseAddress.ToString(),
            "--Cluster:SiloPort", _ports[1].ToString(),
            "--Cluster:GatewayPort", _ports[2].ToString(),
        ], _contentRoot);
        try
        {
            await process.WaitUntilReady(new Uri(BaseAddress, "/readyz"), TimeSpan.FromSeconds(60));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return process;
    }

    private static async Task<string> ApiKeyOf(ChildProcess process)
    {
        var line = await process.WaitForOutput("API key", TimeSpan.FromSeconds(10));
        return line[(line.LastIndexOf(' ') + 1)..];
    }

    private async Task<string> CreateSessionWithData()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var api = new SessionApi(http);
        var session = await api.Create("""{"data":{"cart":["book"]}}""");
        for (var i = 0; i < 5; i++)
        {
            using var response = await api.Send(HttpMethod.Post, "/sessions/current/counters/visits/increment", session.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        return session.Token;
    }

    private async Task AssertSessionIntact(string token)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress };
        var session = await new SessionApi(http).Get(token);
        Assert.Equal(6, session.GetProperty("version").GetInt64());
        Assert.Equal(5, session.GetProperty("data").GetProperty("visits").GetInt64());
        Assert.Equal("book", session.GetProperty("data").GetProperty("cart")[0].GetString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_contentRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
