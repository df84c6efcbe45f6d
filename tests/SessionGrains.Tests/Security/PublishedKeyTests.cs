using Microsoft.Extensions.Options;
using SessionGrains.Client;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Security;

/// <summary>
/// Finding: docker-compose.yml fell back to a published signing key and API key. The front end now refuses those keys
/// outside the Development environment, whoever configures them.
/// </summary>
public sealed class PublishedKeyTests
{
    private const string PublishedSigningKey = "ZGV2ZWxvcG1lbnQtb25seS1zaWduaW5nLWtleS0zMmI=";
    private const string PublishedApiKey = "development-only-api-key";

    [Theory]
    [InlineData("--Tokens:SigningKey", PublishedSigningKey, "Tokens")]
    [InlineData("--Admin:ApiKey", PublishedApiKey, "Admin:ApiKey")]
    public async Task A_published_key_stops_the_front_end_from_starting_in_production(string setting, string value, string named)
    {
        var contentRoot = RepositoryPaths.NewTempFolder("published-keys");
        var ports = FreePorts.Take(2);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            // Refused while the host is built or when it starts, before it serves anything.
            await using var app = FrontEndHost.Build(["--urls", "http://127.0.0.1:0", "--contentRoot", contentRoot, "--environment", "Production",
                "--Cluster:SiloPort", ports[0].ToString(), "--Cluster:GatewayPort", ports[1].ToString(), "--Logging:LogLevel:Default", "None", setting, value]);
            await app.StartAsync(timeout.Token);
            await app.StopAsync(timeout.Token);
        });
        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
        Directory.Delete(contentRoot, recursive: true);
    }
}
