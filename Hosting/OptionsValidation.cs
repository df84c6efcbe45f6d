using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SessionGrains.Interfaces;

namespace SessionGrains.Hosting;

/// <summary>
/// The one way options are read: bound from their section, checked by a validator that names every bad setting, and
/// validated when the host starts. Settings needed before the host is built are read through the same validator.
/// </summary>
public static class OptionsValidation
{
    /// <summary>Binds <typeparamref name="T"/> to <paramref name="section"/>, validated on start by <typeparamref name="TValidator"/>.</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T, TValidator>(this IServiceCollection services, IConfiguration configuration, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, TValidator>());
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    /// <summary>The cluster settings, read before the host is built (they decide the mode); throws on a bad value.</summary>
    public static SessionClusterOptions ReadClusterOptions(this IConfiguration configuration)
    {
        var options = configuration.GetSection(SessionClusterOptions.Section).Get<SessionClusterOptions>() ?? new();
        var result = new SessionClusterOptionsValidator().Validate(null, options);
        if (result.Failed) throw new OptionsValidationException(SessionClusterOptions.Section, typeof(SessionClusterOptions), result.Failures);
        return options;
    }

    /// <summary>Session rules for both hosts: the grains enforce them, the front end checks some before calling.</summary>
    public static IServiceCollection AddSessionOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SessionRules, SessionRulesValidator>(configuration, SessionRules.Section);
        services.AddValidatedOptions<SessionClusterOptions, SessionClusterOptionsValidator>(configuration, SessionClusterOptions.Section);
        return services;
    }
}

/// <summary>Every inconsistent <c>Sessions</c> setting, by name.</summary>
public sealed class SessionRulesValidator : IValidateOptions<SessionRules>
{
    public ValidateOptionsResult Validate(string? name, SessionRules o)
    {
        var failures = new List<string>();
        void Require(bool condition, string failure)
        {
            if (!condition) failures.Add("Sessions:" + failure);
        }
        Require(o.MaxValueBytes > 0 && o.MaxValueBytes <= o.MaxSessionBytes, "MaxValueBytes must be positive and at most MaxSessionBytes.");
        Require(o.MaxKeys > 0 && o.MaxKeyLength > 0, "MaxKeys and MaxKeyLength must be positive.");
        Require(o.MinIdleTimeout > TimeSpan.Zero && o.MinIdleTimeout <= o.MaxIdleTimeout, "MinIdleTimeout must be positive and at most MaxIdleTimeout.");
        Require(o.AllowsIdleTimeout(o.DefaultIdleTimeout), "DefaultIdleTimeout must lie between MinIdleTimeout and MaxIdleTimeout.");
        Require(o.AbsoluteLifetime > TimeSpan.Zero, "AbsoluteLifetime must be positive.");
        Require(o.RequestsPerSecond > 0, "RequestsPerSecond must be positive.");
        Require(o.EventLogLength > 0 && o.EventLogMessageBytes > 0, "EventLogLength and EventLogMessageBytes must be positive.");
        Require(o.IdempotencyKeysKept > 0, "IdempotencyKeysKept must be positive.");
        Require(o.IdempotencyWindow > TimeSpan.Zero && o.FrontEndIdempotencyWindow > TimeSpan.Zero, "IdempotencyWindow and FrontEndIdempotencyWindow must be positive.");
        Require(o.MaxSessionsPerUser >= 0, "MaxSessionsPerUser must be 0 (no limit) or positive.");
        Require(o.MaxSocketsPerSession > 0, "MaxSocketsPerSession must be positive.");
        Require(o.SubscriptionLifetime > TimeSpan.Zero && o.ActivationIdleTime > TimeSpan.Zero, "SubscriptionLifetime and ActivationIdleTime must be positive.");
        Require(o.PurgeGrace >= TimeSpan.Zero, "PurgeGrace must not be negative.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Every bad <c>Cluster</c> setting, by name, before it can fail deep inside Orleans or the Redis client.</summary>
public sealed class SessionClusterOptionsValidator : IValidateOptions<SessionClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionClusterOptions o)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ServiceId) || string.IsNullOrWhiteSpace(o.ClusterId)) failures.Add("Cluster:ServiceId and Cluster:ClusterId must not be empty.");
        if (o.SiloPort is < 1 or > 65535 || o.GatewayPort is < 1 or > 65535 || o.SiloPort == o.GatewayPort)
            failures.Add($"Cluster:SiloPort ({o.SiloPort}) and Cluster:GatewayPort ({o.GatewayPort}) must be distinct ports between 1 and 65535.");
        if (!o.IsStandalone)
        {
            if (!IPAddress.TryParse(o.AdvertisedAddress, out _)) failures.Add($"Cluster:AdvertisedAddress '{o.AdvertisedAddress}' is not an IP address.");
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(o.Redis!);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException)
            {
                failures.Add($"Cluster:Redis is not a valid Redis connection string: {ex.Message}");
            }
        }
        if (o.Kubernetes && o.IsStandalone) failures.Add("Cluster:Kubernetes needs cluster mode: set Cluster:Redis (membership stays in Redis).");
        if (o.CoHostSilo && o.IsStandalone) failures.Add("Cluster:CoHostSilo needs cluster mode: set Cluster:Redis (a standalone front end always hosts its silo).");
        if (string.IsNullOrWhiteSpace(o.DataPath)) failures.Add("Cluster:DataPath must not be empty.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Every bad <c>Cluster:Placement</c> setting, by name.</summary>
public sealed class SessionPlacementOptionsValidator : IValidateOptions<SessionGrains.Grains.Placement.SessionPlacementOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionGrains.Grains.Placement.SessionPlacementOptions o)
    {
        var failures = new List<string>();
        if (o.MovesPerSecond <= 0) failures.Add("Cluster:Placement:MovesPerSecond must be positive.");
        if (o.DrainTimeout < TimeSpan.Zero || o.DrainTimeout > TimeSpan.FromMinutes(10)) failures.Add("Cluster:Placement:DrainTimeout must lie between 0 and 10 minutes.");
        if (o.DrainConcurrency <= 0) failures.Add("Cluster:Placement:DrainConcurrency must be positive.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
