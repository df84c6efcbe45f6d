using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Architecture;

/// <summary>
/// The contract cannot drift: every route the front end maps has its heading in docs/API.md, and every route heading
/// there is mapped. Routes owned by the Orleans Dashboard package (its assets and JSON API under /dashboard/) are
/// documented in prose under <c>GET /dashboard</c>.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed partial class ApiDocumentTests(StandaloneFrontEnd frontEnd)
{
    [Fact]
    public void Every_mapped_route_is_documented_and_every_documented_route_is_mapped()
    {
        var mapped = MappedRoutes();
        var documented = DocumentedRoutes();

        Assert.Contains("GET /sessions/current/data/{key}", mapped);
        Assert.Empty(mapped.Except(documented));
        Assert.Empty(documented.Except(mapped));
    }

    private SortedSet<string> MappedRoutes()
    {
        var routes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var source in frontEnd.Services.GetServices<EndpointDataSource>())
        {
            foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
            {
                var path = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
                if (path.StartsWith("/dashboard/", StringComparison.Ordinal)) continue;
                if (path == "/openapi/{documentName}.json") path = "/openapi/v1.json";
                // SignalR maps a hub's negotiate route without method metadata; clients POST to it.
                var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods
                    ?? (endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.SignalR.HubMetadata>() is not null && path.EndsWith("/negotiate", StringComparison.Ordinal) ? ["POST"] : ["GET"]);
                foreach (var method in methods) routes.Add($"{method} {path}");
            }
        }
        return routes;
    }

    private static SortedSet<string> DocumentedRoutes()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "API.md"));
        return new SortedSet<string>(RouteHeading().Matches(text).Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}"), StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^### `([A-Z]+) (/[^`\s]*)`\s*$", RegexOptions.Multiline)]
    private static partial Regex RouteHeading();
}
