using SessionGrains.AspNetCore;
using SessionGrains.Samples.Shop;

// A shop whose code only knows HttpContext.Session. Which store keeps the sessions is one setting,
// Session:Provider (appsettings.json, --Session:Provider or Session__Provider): SessionGrains or Redis.
var builder = WebApplication.CreateBuilder(args);
var session = builder.Configuration.GetSection("Session");

// SessionGrains is reached one of two ways (Session:Mode): "Cluster", the fastest, as an Orleans client of the
// SessionGrains silos (found through Session:ClusterRedis, or the gateway of a standalone front end on this machine
// when that is empty), or "Http" through a front end (Session:SessionGrains).
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
if (session.GetValue<bool>("LoadAsync")) app.Use(async (context, next) => { await context.Session.LoadAsync(); await next(context); });
app.MapGet("/healthz", () => "ok");
app.MapShopEndpoints();
app.Logger.LogInformation("Sessions are kept by {Provider}", session["Provider"] == "Redis" ? "Redis (AddStackExchangeRedisCache)" : $"SessionGrains ({session["Mode"] ?? "Cluster"})");
app.Run();
