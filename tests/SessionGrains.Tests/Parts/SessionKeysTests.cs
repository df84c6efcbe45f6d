using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>The keys and ids a process makes for its own writes and leases.</summary>
public sealed class SessionKeysTests
{
    [Fact]
    public void Keys_a_process_makes_are_valid_distinct_and_carry_its_nonce()
    {
        var made = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 10_000; i++)
        {
            foreach (var key in new[] { SessionKeys.NewLocalKey(), SessionKeys.NewFrontEndKey() })
            {
                Assert.True(SessionKeys.IsValidIdempotencyKey(key), key);
                Assert.True(made.Add(key), $"{key} made twice");
            }
        }
        // A local key moves with its session's activation to another silo (live migration), so it is as unique as a
        // stored one: the process' random nonce comes first, then the counter, never a counter alone.
        var local = SessionKeys.NewLocalKey();
        var stored = SessionKeys.NewFrontEndKey();
        Assert.True(SessionKeys.IsLocalKey(local));
        Assert.False(SessionKeys.IsLocalKey(stored));
        Assert.Equal(stored.Substring(SessionKeys.FrontEndKeyPrefix.Length, 16), local.Substring(SessionKeys.LocalFrontEndKeyPrefix.Length, 16));
        Assert.True(local.Length > SessionKeys.LocalFrontEndKeyPrefix.Length + 16);
    }
}
