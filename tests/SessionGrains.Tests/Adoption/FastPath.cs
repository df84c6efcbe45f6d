using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SessionGrains.AspNetCore;
using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.Adoption;

/// <summary>The drop-in store as an Orleans client of a standalone front end's co-hosted silo (its gateway port and signing key).</summary>
public static class FastPath
{
    public static int GatewayPort(StandaloneFrontEnd frontEnd) =>
        int.Parse(frontEnd.Services.GetRequiredService<IConfiguration>()["Cluster:GatewayPort"]!, System.Globalization.CultureInfo.InvariantCulture);

    public static string SigningKey(StandaloneFrontEnd frontEnd) => frontEnd.Services.GetRequiredService<IOptions<TokenOptions>>().Value.SigningKey!;

    /// <summary>The store's options for the fast path to <paramref name="frontEnd"/>.</summary>
    public static void Configure(SessionGrainsOptions options, StandaloneFrontEnd frontEnd)
    {
        options.UseStandalone(GatewayPort(frontEnd));
        options.SigningKey = SigningKey(frontEnd);
    }

    /// <summary>The sample shop's settings for the fast path to <paramref name="frontEnd"/>.</summary>
    public static (string Key, string Value)[] ShopSettings(StandaloneFrontEnd frontEnd) =>
    [
        ("Session:Provider", "SessionGrains"), ("Session:Mode", "Cluster"),
        ("Session:GatewayPort", GatewayPort(frontEnd).ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Session:SigningKey", SigningKey(frontEnd)),
    ];
}
