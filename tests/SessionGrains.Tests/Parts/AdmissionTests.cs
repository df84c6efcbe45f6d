using SessionGrains.Grains;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>Admission on its own: the token bucket, the key syntax and the version precondition.</summary>
public sealed class AdmissionTests
{
    [Fact]
    public void A_burst_past_the_rate_is_throttled_with_a_retry_time()
    {
        var rules = new SessionRules { RequestsPerSecond = 5 };
        var bucket = new TokenBucket(rules.RequestsPerSecond);

        for (var i = 0; i < 5; i++) Assert.Null(Admission.Throttle(ref bucket, rules));
        var throttled = Admission.Throttle(ref bucket, rules);

        Assert.Equal(SessionStatus.RateLimited, throttled?.Status);
        Assert.Equal(1, throttled?.RetryAfterSeconds);
    }

    [Theory]
    [InlineData("ok-key", true)]
    [InlineData("", false)]
    [InlineData("tab\tkey", false)]
    [InlineData("ünïcode", false)]
    public void Idempotency_keys_follow_the_contract(string key, bool valid)
    {
        Assert.Equal(valid, Admission.CheckKey(new SessionWrite(null, key)) is null);
        Assert.Equal(valid, SessionKeys.IsValidIdempotencyKey(key));
    }

    [Fact]
    public void A_key_longer_than_the_contract_allows_is_refused()
    {
        Assert.NotNull(Admission.CheckKey(new SessionWrite(null, new string('k', SessionKeys.MaxIdempotencyKeyLength + 1))));
        Assert.Null(Admission.CheckKey(new SessionWrite(null, new string('k', SessionKeys.MaxIdempotencyKeyLength))));
    }

    [Fact]
    public void If_Match_must_name_the_current_version()
    {
        Assert.Null(Admission.CheckVersion(new SessionWrite(3, null), 3));
        Assert.Null(Admission.CheckVersion(SessionWrite.Unconditional, 3));
        Assert.Equal(SessionStatus.VersionMismatch, Admission.CheckVersion(new SessionWrite(2, null), 3)?.Status);
    }
}
