using CsCheck;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SessionGrains.AspNetCore;
using SessionGrains.Http;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Adoption;

/// <summary>The SessionGrains session store under AddSession()/UseSession(), in a real app against the real front end.</summary>
[Collection(StandaloneCollection.Name)]
public sealed class ProviderTests(StandaloneFrontEnd frontEnd) : IAsyncLifetime
{
    private readonly string _keys = RepositoryPaths.NewTempFolder("dp-keys");
    private SessionApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await SessionApp.Start(_keys, services => services.AddSessionGrains(o => o.BaseAddress = frontEnd.BaseAddress));

    [Fact]
    public async Task Values_and_any_string_keys_round_trip_and_are_stored_as_encoded_keys_with_base64_values()
    {
        using var browser = new AppClient(_app.Address);
        Assert.Equal("(none)", await browser.Get("/get/cart"));
        Assert.Null(browser.Cookie); // nothing written, no session, no cookie

        await browser.Post("/set/cart?value=book");
        await browser.Post($"/set/{Uri.EscapeDataString("größe: XL")}?value=yes");
        Assert.NotNull(browser.Cookie);
        Assert.Equal("book", await browser.Get("/get/cart"));
        Assert.Equal("yes", await browser.Get($"/get/{Uri.EscapeDataString("größe: XL")}"));
        Assert.Equal("cart,größe: XL", await browser.Get("/keys"));

        var token = _app.TokenIn(browser.Cookie!);
        Assert.NotNull(token);
        Assert.DoesNotContain(token, browser.Cookie!); // the browser never sees the token itself
        Assert.Equal(token[..22], await browser.Get("/id"));
        var stored = await SessionGrainsApi().GetAsync(token);
        Assert.Equal(["s:cart", "s:gr:C3:B6:C3:9Fe:3A:20XL"], stored.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Convert.ToBase64String("book"u8.ToArray()), stored.Data["s:cart"].GetString());

        await browser.Post("/remove/cart");
        Assert.Equal("größe: XL", await browser.Get("/keys"));
        await browser.Post("/clear");
        Assert.Equal("", await browser.Get("/keys"));
        Assert.Empty((await SessionGrainsApi().GetAsync(token)).Data);
        Assert.Empty(_app.Warnings);
    }

    [Fact]
    public async Task A_request_commits_only_the_keys_it_changed_and_concurrent_requests_of_a_session_are_serialized()
    {
        using var browser = new AppClient(_app.Address);
        await browser.Post("/set/log?value=a");
        var token = _app.TokenIn(browser.Cookie!)!;

        // Two overlapping read-modify-writes of one key, and a direct API write of another key meanwhile.
        var slow = browser.Send(HttpMethod.Post, "/append-slowly/log?value=b&ms=400");
        await Task.Delay(100);
        var second = new AppClient(_app.Address, browser.Cookie).Send(HttpMethod.Post, "/append-slowly/log?value=c&ms=0");
        await SessionGrainsApi().PutAsync(token, "s:other", Convert.ToBase64String("api"u8.ToArray()));
        await Task.WhenAll(slow, second);

        Assert.Equal("abc", await browser.Get("/get/log"));
        Assert.Equal("api", await browser.Get("/get/other"));
    }

    [Fact]
    public async Task A_failing_endpoint_does_not_keep_the_session_locked()
    {
        using var browser = new AppClient(_app.Address);
        await browser.Post("/set/k?value=1");
        await browser.Send(HttpMethod.Post, "/fail", HttpStatusCode.InternalServerError);

        var clock = Stopwatch.StartNew();
        // As with the built-in provider, UseSession commits what the request changed before it failed.
        Assert.Equal("stored", await browser.Get("/get/never"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the next request waited {clock.Elapsed} for the lease");
    }

    [Fact]
    public async Task An_expired_or_deleted_session_starts_over_with_a_new_cookie()
    {
        using var browser = new AppClient(_app.Address);
        await browser.Post("/set/k?value=1");
        var first = browser.Cookie;
        await SessionGrainsApi().DeleteAsync(_app.TokenIn(first!)!);

        Assert.Equal("(none)", await browser.Get("/get/k"));
        await browser.Post("/set/k?value=2");
        Assert.NotEqual(first, browser.Cookie);
        Assert.Equal("2", await browser.Get("/get/k"));
        Assert.Equal("ok", await browser.Get("/untouched"));
    }

    [Theory]
    [InlineData("visits")]
    [InlineData("")]
    [InlineData("a:b c/ü€😀")]
    [InlineData("s:already-prefixed")]
    public void Session_keys_map_reversibly_to_valid_data_keys(string key)
    {
        var encoded = SessionKeyCodec.Encode(key);
        Assert.True(Interfaces.SessionKeys.IsValidKey(encoded, 128), encoded);
        Assert.Equal(key, SessionKeyCodec.Decode(encoded));
        Assert.Null(SessionKeyCodec.Decode("cart"));
        Assert.Throws<ArgumentOutOfRangeException>(() => SessionKeyCodec.Encode(new string('é', 30)));
    }

    [Fact]
    public void Any_session_key_maps_reversibly_and_plain_keys_stand_for_themselves()
    {
        Gen.Char["ab:Z9_-. é+/"].Array[0, 40].Select(chars => new string(chars)).Sample(key =>
        {
            var encoded = SessionKeyCodec.Encode(key);
            Assert.True(Interfaces.SessionKeys.IsValidKey(encoded, SessionKeyCodec.MaxDataKeyLength), encoded);
            Assert.Equal(key, SessionKeyCodec.Decode(encoded));
            var plain = key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
            Assert.Equal(plain, encoded == SessionKeyCodec.Prefix + key);
        }, iter: 3_000);
        Assert.Equal("s:cart:20items", SessionKeyCodec.Encode("cart items"));
        Assert.Null(SessionKeyCodec.Decode("s:caf\u00e9"));
        Assert.Null(SessionKeyCodec.Decode("s:a:2"));
    }

    private SessionGrainsClient SessionGrainsApi() => _app.Services.GetRequiredService<SessionGrainsClient>();

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_keys, recursive: true);
    }
}
