// One HTTP round trip and nothing else: the host the front end and the baseline use (WebApplication.CreateBuilder,
// Kestrel, routing), one endpoint, GET /ok answering "ok" as text/plain. What a session service costs per request
// beyond this is its own.
var builder = WebApplication.CreateBuilder(args);
// Loopback only unless told otherwise: this is a benchmark target, not a service.
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://127.0.0.1:5200");

var app = builder.Build();
app.MapGet("/ok", () => "ok");
app.Run();
