using SessionGrains.Hosting;
using SessionGrains.AspNetCore;
using SessionGrains.Samples.Shop;

// A shop whose code only knows HttpContext.Session. Which store keeps the sessions is one setting,
// Session:Provider (appsettings.json, --Session:Provider or Session__Provider): SessionGrains or Redis.
var builder = WebApplication.CreateBuilder(args);
var session = builder.Configuration.GetSection("Session");

// SessionGrains is reached one of three ways (Session:Mode): "Cluster", as an Orleans client of the SessionGrains silos
// (found through Session:ClusterRedis, or the gateway of a standalone front end on this machine when that is empty);
// "Silo", the fastest, where the shop is a silo of the cluster itself; or "Http" through a front end (Session:SessionGrains).
if (session["Provider"] == "Redis")
    builder.Services.AddStackExchangeRedisCache(redis => redis.Configuration = session["Redis"]);
else if (session["Mode"] == "Http")
    builder.Services.AddSessionGrains(sessionGrains =>
    {
        sessionGrains.BaseAddress = new Uri(session["SessionGrains"]!);
        // The front end's API key (Admin:ApiKey): the shop creates its visitors' sessions as a trusted app, not as one
        // anonymous address limited to a few new sessions a minute.
        sessionGrains.ApiKey = session["ApiKey"];
    });
else if (session["Mode"] == "Silo")
{
    // The shop is a silo of the SessionGrains cluster itself (its Cluster:* settings, as a silo's: Cluster:Redis,
    // SiloPort, GatewayPort, AdvertisedAddress; without Cluster:Redis, a one-process shop with SQLite): its visitors'
    // sessions are created on its own silo, so loading and committing them takes no network hop.
    builder.UseOrleans(silo => silo.AddSessionSilo(builder.Configuration, builder.Environment.ContentRootPath));
    builder.Services.AddSessionGrains(sessionGrains =>
    {
        sessionGrains.UseOrleansClient();
        sessionGrains.SigningKey = session["SigningKey"];
    });
}
else
    builder.Services.AddSessionGrains(sessionGrains =>
    {
        if (string.IsNullOrEmpty(session["ClusterRedis"])) sessionGrains.UseStandalone(session.GetValue("GatewayPort", 30000));
        else sessionGrains.UseCluster(session["ClusterRedis"]!, session["ClusterId"] ?? SessionClusterAccess.DefaultId, session["ServiceId"] ?? SessionClusterAccess.DefaultId);
        // The front end's Tokens:SigningKey: the shop issues session tokens the front end accepts too.
        sessionGrains.SigningKey = session["SigningKey"];
    });

builder.Services.AddSession(options =>
{
    options.Cookie.Name = ".Shop.Session";
    options.Cookie.IsEssential = true;
    options.IdleTimeout = TimeSpan.FromMinutes(30);
});

var app = builder.Build();
app.UseSession();
// Optional (Session:LoadAsync=true), as the ASP.NET Core docs advise for any distributed session: load the session
// asynchronously before the endpoint, so a request waiting for it holds no thread. Off, the first access loads it.
// A shop that is a silo always does: a synchronous first access would block a pool thread that its own grains need.
if (session.GetValue<bool>("LoadAsync") || session["Mode"] == "Silo") app.Use(async (context, next) => { await context.Session.LoadAsync(); await next(context); });
app.MapGet("/healthz", () => "ok");
app.MapShopEndpoints();
app.Logger.LogInformation("Sessions are kept by {Provider}", session["Provider"] == "Redis" ? "Redis (AddStackExchangeRedisCache)" : $"SessionGrains ({session["Mode"] ?? "Cluster"})");
app.Run();
