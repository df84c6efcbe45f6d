using SessionGrains.Bench.Baseline;

// The design a .NET user would pick instead of SessionGrains: a stateless ASP.NET Core app, the standard
// Session middleware over Microsoft.Extensions.Caching.StackExchangeRedis, the session named by its cookie.
var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.Get<BaselineOptions>() ?? new();
if (string.IsNullOrWhiteSpace(options.Redis)) throw new InvalidOperationException("Set --Redis host:port (the Redis the sessions live in).");
// Loopback only unless told otherwise: this is a benchmark target, not a service.
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(BaselineOptions.DefaultUrl);

builder.Services.AddStackExchangeRedisCache(cache =>
{
    cache.Configuration = options.Redis;
    cache.InstanceName = options.InstanceName;
});
builder.Services.AddSession(session =>
{
    session.IdleTimeout = options.IdleTimeout;
    session.Cookie.Name = BaselineOptions.CookieName;
    session.Cookie.HttpOnly = true;
    session.Cookie.SameSite = SameSiteMode.Lax;
    session.Cookie.IsEssential = true;
});

var app = builder.Build();
app.UseSession();
app.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" }));
app.MapBaselineEndpoints();
app.Run();
