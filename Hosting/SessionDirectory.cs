using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.GrainDirectory;
using Orleans.Metadata;
using Orleans.Runtime.GrainDirectory;
using SessionGrains.Grains;
using SessionGrains.Grains.Placement;
using SessionGrains.Interfaces;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// Cluster mode: where each session grain's activation is registered. By default that is a Redis grain directory
/// (Orleans' <c>Microsoft.Orleans.GrainDirectory.Redis</c>, named <see cref="Name"/>), used for session grains only;
/// every other grain stays in Orleans' default in-cluster directory.
/// <para>
/// Why: the default directory spreads registrations over the silos, and when a silo leaves, every activation whose
/// registration it held is deactivated, wherever it lives. A drain moves a silo's sessions live to the others, but
/// those of them whose registration hashed to the leaving silo were then deactivated and read back from storage on
/// their next call. A registration in Redis does not belong to any silo, so a silo leaving touches none but its own
/// activations, which it has moved. Costs: one Redis script per activation (a creation by a split cluster's front end
/// does not activate the session: its first call does, <see cref="SessionCreator"/>), a Redis GET on a directory-cache miss
/// (the front ends route a session's calls to the silo where it is activated, so its own silo finds it in the cache; a
/// lazily created session's first call misses; none for a session a combined node creates and activates at once,
/// <see cref="NewSessionsDirectory"/>), and a registration left behind by a killed silo, removed by the
/// next call that finds it (Orleans checks the silo is dead) or by <see cref="SessionDirectoryJanitor"/>.
/// </para>
/// <c>Cluster:Placement:SessionDirectory=default</c> keeps session grains in Orleans' default directory.
/// </summary>
public static class SessionDirectory
{
    public const string Name = "sessions";

    /// <summary>Configuration key: <c>redis</c> (default) or <c>default</c>.</summary>
    public const string Key = "Cluster:Placement:SessionDirectory";

    /// <summary>Whether session grains are registered in Redis under this configuration; throws on an unknown value.</summary>
    public static bool UsesRedis(IConfiguration configuration) => configuration[Key]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "redis" => true,
        "default" => false,
        var other => throw new Microsoft.Extensions.Options.OptionsValidationException(Key, typeof(SessionDirectoryResolver),
            [$"{Key} must be 'redis' or 'default', not '{other}'."]),
    };

    public static ISiloBuilder AddRedisSessionDirectory(this ISiloBuilder silo, ConfigurationOptions redis)
    {
        silo.Services.AddSingleton(new SessionDirectoryConnection(redis));
        silo.AddRedisGrainDirectory(Name, options => options.Configure<SessionDirectoryConnection>((directory, connection) =>
        {
            directory.ConfigurationOptions = redis.Clone();
            directory.CreateMultiplexer = async _ => (await connection.Get(), IsShared: true);
        }));
        silo.Services.AddSingleton<IGrainDirectoryResolver, SessionDirectoryResolver>();
        silo.Services.AddSingleton<NewSessionIds>();
        silo.Services.AddSingleton<INewSessionIds>(services => services.GetRequiredService<NewSessionIds>());
        silo.Services.AddSingleton<SessionDirectoryJanitor>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SessionDirectoryJanitor>());
        return silo;
    }

    /// <summary>The Redis key prefix of the directory's entries (the Orleans provider's layout: cluster id, "/directory/").</summary>
    public static string KeyPrefix(ClusterOptions cluster) => $"{cluster.ClusterId}/directory/";
}

/// <summary>Sends the session grain type to the <see cref="SessionDirectory"/> and leaves every other type alone.</summary>
public sealed class SessionDirectoryResolver(IServiceProvider services, GrainClassMap classes) : IGrainDirectoryResolver
{
    public bool TryResolveGrainDirectory(GrainType grainType, GrainProperties? properties, [NotNullWhen(true)] out IGrainDirectory? grainDirectory)
    {
        // Orleans asks once per grain type and keeps the answer.
        grainDirectory = classes.TryGetGrainClass(grainType, out var grainClass) && grainClass == typeof(SessionGrain)
            ? new NewSessionsDirectory(services.GetRequiredKeyedService<IGrainDirectory>(SessionDirectory.Name), services.GetRequiredService<NewSessionIds>())
            : null;
        return grainDirectory is not null;
    }
}
