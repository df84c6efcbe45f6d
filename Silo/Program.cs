using SessionGrains.Hosting;
using SessionGrains.Silo;

// A silo of a SessionGrains cluster: the shared silo configuration, plus Kestrel for health endpoints.
var builder = WebApplication.CreateBuilder(ShippedSettings.HostArguments(args)).UseShippedSettings();
builder.UseOrleans(silo => silo
    .AddSessionSilo(builder.Configuration, builder.Environment.ContentRootPath)
    .UseKubernetesHostingIfEnabled(builder.Configuration));
builder.AddSessionTelemetry("session-grains-silo");

var app = builder.Build();
app.MapSiloHealthEndpoints();
app.MapPrometheusScrapingEndpoint();
app.Run();
