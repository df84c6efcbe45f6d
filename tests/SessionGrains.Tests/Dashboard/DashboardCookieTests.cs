using Microsoft.Extensions.Options;
using SessionGrains.Client.Admin;
using SessionGrains.Client.Dashboard;
using Xunit;

namespace SessionGrains.Tests.Dashboard;

public sealed class DashboardCookieTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_cookie_is_valid_until_its_lifetime_ends()
    {
        var cookie = Cookie("key");
        var value = cookie.Issue();

        Assert.True(cookie.IsValid(value));
        _clock.Advance(new DashboardAccessOptions().CookieLifetime - TimeSpan.FromSeconds(1));
        Assert.True(cookie.IsValid(value));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cookie.IsValid(value));
    }

    [Fact]
    public void Every_front_end_with_the_same_API_key_accepts_the_cookie_and_a_new_API_key_ends_it()
    {
        var value = Cookie("key").Issue();

        Assert.True(Cookie("key").IsValid(value));
        Assert.False(Cookie("new key").IsValid(value));
    }

    [Fact]
    public void The_cookie_does_not_contain_the_API_key()
    {
        Assert.DoesNotContain("secret-api-key", Cookie("secret-api-key").Issue(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData(".")]
    [InlineData("1767272400.")]
    [InlineData("-1.AAAA")]
    [InlineData("1767272400.not*base64url")]
    public void A_malformed_cookie_is_invalid(string? value)
    {
        Assert.False(Cookie("key").IsValid(value));
    }

    [Fact]
    public void A_cookie_with_a_later_expiry_or_another_signature_is_invalid()
    {
        var cookie = Cookie("key");
        var value = cookie.Issue();
        var (expiry, signature) = (long.Parse(value.Split('.')[0]), value.Split('.')[1]);

        Assert.False(cookie.IsValid($"{expiry + 3600}.{signature}"));
        Assert.False(cookie.IsValid($"{expiry}.{(signature[0] == 'A' ? 'B' : 'A')}{signature[1..]}"));
    }

    [Fact]
    public void Without_an_API_key_no_cookie_is_valid()
    {
        var issuer = Cookie("key");
        Assert.False(Cookie(null).IsValid(issuer.Issue()));
    }

    private DashboardCookie Cookie(string? apiKey) =>
        new(Options.Create(new AdminOptions { ApiKey = apiKey }), Options.Create(new DashboardAccessOptions()), _clock);

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
