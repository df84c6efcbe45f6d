using SessionGrains.Hosting;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Jobs;

/// <summary>The <c>Jobs</c> options: defaults valid, every bad setting named at once.</summary>
public sealed class JobOptionsTests
{
    [Fact]
    public void Job_defaults_are_valid_and_every_bad_job_setting_is_named()
    {
        Assert.True(new JobRulesValidator().Validate(null, new JobRules()).Succeeded);
        var result = new JobRulesValidator().Validate(null, new JobRules
        {
            MaxJobsPerSession = 0,
            ChunkBytes = 10,
            CheckpointInterval = TimeSpan.Zero,
            Retention = TimeSpan.Zero,
            ReminderPeriod = TimeSpan.FromMilliseconds(10),
        });
        Assert.True(result.Failed);
        foreach (var name in new[] { "Jobs:MaxJobsPerSession", "Jobs:ChunkBytes", "Jobs:CheckpointInterval", "Jobs:Retention", "Jobs:ReminderPeriod" })
            Assert.Contains(result.Failures!, f => f.StartsWith(name, StringComparison.Ordinal));
    }
}
