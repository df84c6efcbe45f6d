using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using SessionGrains.Grains.Jobs;
using SessionGrains.Interfaces;

namespace SessionGrains.Hosting;

/// <summary>
/// Session jobs on a silo: the built-in kinds, the <c>Jobs</c> options, and the reminder service that brings a running
/// job back after its silo died. Cluster: reminders in Redis (Orleans' Redis reminder table), owned by the silos in
/// ring ranges, so when a silo dies another one takes its range and delivers its reminders. Standalone: in memory (one
/// silo; a job interrupted by a restart resumes when its session next asks for it).
/// </summary>
public static class JobConfiguration
{
    public static ISiloBuilder AddSessionJobs(this ISiloBuilder silo, IConfiguration configuration, SessionClusterOptions cluster)
    {
        silo.Services.AddJobOptions(configuration);
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobKind, RenderKind>());
        silo.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobKind, ProcessKind>());
        silo.Services.TryAddSingleton<JobKinds>();
        silo.Services.TryAddSingleton<JobMetrics>();
        // Orleans refuses reminder periods under its minimum (1 minute by default); jobs need theirs.
        silo.Services.AddOptions<ReminderOptions>().Configure<IOptions<JobRules>>((options, jobs) =>
        {
            var shortest = jobs.Value.ReminderPeriod < jobs.Value.Retention ? jobs.Value.ReminderPeriod : jobs.Value.Retention;
            if (shortest < options.MinimumReminderPeriod) options.MinimumReminderPeriod = shortest;
        });
        if (cluster.IsStandalone) silo.UseInMemoryReminderService();
        else silo.UseRedisReminderService(options => options.ConfigurationOptions = RedisConnection.Options(cluster.Redis!));
        return silo;
    }

    public static IServiceCollection AddJobOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<JobRules, JobRulesValidator>(configuration, JobRules.Section);
        return services;
    }
}

/// <summary>Every inconsistent <c>Jobs</c> setting, by name.</summary>
public sealed class JobRulesValidator : IValidateOptions<JobRules>
{
    public ValidateOptionsResult Validate(string? name, JobRules o)
    {
        var failures = new List<string>();
        void Require(bool condition, string failure)
        {
            if (!condition) failures.Add("Jobs:" + failure);
        }
        Require(o.MaxJobsPerSession > 0, "MaxJobsPerSession must be positive.");
        Require(o.MaxOutputBytes > 0, "MaxOutputBytes must be positive.");
        Require(o.MaxUploadBytes >= 0 && o.MaxUploadBytes <= 64 * 1024 * 1024, "MaxUploadBytes must lie between 0 and 64 MiB (it travels in one grain call).");
        Require(o.Retention >= TimeSpan.FromSeconds(1), "Retention must be at least 1 second.");
        Require(o.MaxRunTime > TimeSpan.Zero, "MaxRunTime must be positive.");
        Require(o.CheckpointInterval > TimeSpan.Zero && o.CheckpointInterval <= TimeSpan.FromSeconds(30), "CheckpointInterval must lie between 0 and 30 seconds.");
        Require(o.ProgressEventStep is > 0 and <= 1, "ProgressEventStep must lie in (0, 1].");
        Require(o.ProgressEventInterval > TimeSpan.Zero, "ProgressEventInterval must be positive.");
        Require(o.ChunkBytes is >= 1024 and <= 4 * 1024 * 1024, "ChunkBytes must lie between 1 KiB and 4 MiB.");
        Require(o.ReminderPeriod >= TimeSpan.FromSeconds(1), "ReminderPeriod must be at least 1 second.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
