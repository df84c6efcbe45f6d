using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SessionGrains.Hosting;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Architecture;

/// <summary>Bad settings fail at start-up with a message that names them, not deep inside Orleans or the Redis client.</summary>
public sealed class OptionsValidationTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void A_bad_advertised_address_is_named_at_start()
    {
        var failure = Assert.Throws<OptionsValidationException>(() =>
            Configuration(("Cluster:Redis", "127.0.0.1:6379"), ("Cluster:AdvertisedAddress", "not-an-ip")).ReadClusterOptions());
        Assert.Contains("Cluster:AdvertisedAddress", failure.Message);
    }

    [Fact]
    public void Equal_silo_and_gateway_ports_are_refused()
    {
        var failure = Assert.Throws<OptionsValidationException>(() =>
            Configuration(("Cluster:SiloPort", "5000"), ("Cluster:GatewayPort", "5000")).ReadClusterOptions());
        Assert.Contains("Cluster:GatewayPort", failure.Message);
    }

    [Fact]
    public void A_combined_node_needs_cluster_mode()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Configuration(("Cluster:CoHostSilo", "true")).ReadClusterOptions());
        Assert.Contains("Cluster:CoHostSilo needs cluster mode", failure.Message);
        var combined = Configuration(("Cluster:CoHostSilo", "true"), ("Cluster:Redis", "127.0.0.1:6379")).ReadClusterOptions();
        Assert.True(combined.HostsSilo);
        Assert.False(Configuration(("Cluster:Redis", "127.0.0.1:6379")).ReadClusterOptions().HostsSilo);
    }

    [Fact]
    public void Standalone_defaults_are_valid()
    {
        Assert.True(Configuration().ReadClusterOptions().IsStandalone);
        Assert.True(new SessionRulesValidator().Validate(null, new SessionRules()).Succeeded);
    }

    [Fact]
    public void Every_inconsistent_session_rule_is_reported_at_once()
    {
        var result = new SessionRulesValidator().Validate(null, new SessionRules { MaxValueBytes = 0, RequestsPerSecond = 0, MaxSocketsPerSession = 0 });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("MaxValueBytes", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("RequestsPerSecond", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("MaxSocketsPerSession", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("redis", true)]
    [InlineData(" Redis ", true)]
    [InlineData("default", false)]
    public void The_session_directory_setting_chooses_redis_unless_told_default(string? value, bool redis)
    {
        var configuration = value is null ? Configuration() : Configuration((SessionDirectory.Key, value));
        Assert.Equal(redis, SessionDirectory.UsesRedis(configuration));
    }

    [Fact]
    public void An_unknown_session_directory_is_named_at_start()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => SessionDirectory.UsesRedis(Configuration((SessionDirectory.Key, "dht"))));
        Assert.Contains(SessionDirectory.Key, failure.Message);
    }
}
