using System.Text.Json;

namespace SessionGrains.Samples.Shop;

/// <summary>The shop: a visit counter and a cart, written as any app written against HttpContext.Session would be.</summary>
public static class ShopEndpoints
{
    private const string CartKey = "cart";

    /// <summary>Maps <c>/visits</c> and <c>/cart</c>.</summary>
    public static IEndpointRouteBuilder MapShopEndpoints(this IEndpointRouteBuilder routes)
    {
        // Read, add one, write back: the read-modify-write that loses updates when requests of a session overlap.
        routes.MapGet("/visits", (HttpContext context) =>
        {
            var n = context.Session.GetInt32("visits") ?? 0;
            context.Session.SetInt32("visits", n + 1);
            return Results.Text((n + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

        routes.MapGet("/cart", (HttpContext context) => Results.Ok(Cart(context.Session)));

        routes.MapPost("/cart/{item}", (string item, int? quantity, HttpContext context) =>
        {
            var cart = Cart(context.Session);
            cart[item] = cart.GetValueOrDefault(item) + (quantity ?? 1);
            Save(context.Session, cart);
            return Results.Ok(cart);
        });

        routes.MapDelete("/cart/{item}", (string item, HttpContext context) =>
        {
            var cart = Cart(context.Session);
            if (!cart.Remove(item)) return Results.NotFound();
            Save(context.Session, cart);
            return Results.Ok(cart);
        });

        routes.MapDelete("/cart", (HttpContext context) =>
        {
            context.Session.Remove(CartKey);
            return Results.NoContent();
        });
        return routes;
    }

    private static SortedDictionary<string, int> Cart(ISession session) =>
        session.GetString(CartKey) is { } json
            ? JsonSerializer.Deserialize<SortedDictionary<string, int>>(json) ?? []
            : [];

    private static void Save(ISession session, SortedDictionary<string, int> cart) => session.SetString(CartKey, JsonSerializer.Serialize(cart));
}
