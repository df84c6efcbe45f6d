using System.Reflection;
using System.Xml.Linq;
using SessionGrains.Grains;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Architecture;

/// <summary>The layout's rules, checked: the front end knows the contract and the wiring, never the grain implementation.</summary>
public sealed class ProjectBoundaryTests
{
    [Fact]
    public void The_front_end_never_references_the_grain_implementation()
    {
        var project = XDocument.Load(Path.Combine(RepositoryPaths.Root, "Client", "Client.csproj"));
        var references = project.Descendants("ProjectReference").Select(r => (string?)r.Attribute("Include") ?? "").ToList();
        Assert.Contains(references, r => r.EndsWith("Grains.Interfaces.csproj", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.EndsWith(Path.DirectorySeparatorChar + "Grains.csproj", StringComparison.Ordinal) || r.EndsWith("\\Grains.csproj", StringComparison.Ordinal));

        // The compiler records an assembly reference only for assemblies whose types the code uses.
        var clientAssembly = typeof(SessionGrains.Client.FrontEndHost).Assembly;
        Assert.DoesNotContain(clientAssembly.GetReferencedAssemblies(), a => a.Name == typeof(SessionGrain).Assembly.GetName().Name);
    }

    [Fact]
    public void The_contract_assembly_depends_on_no_other_project()
    {
        var referenced = typeof(ISessionGrain).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "");
        Assert.DoesNotContain(referenced, name => name.StartsWith("SessionGrains.", StringComparison.Ordinal));
    }

    [Fact]
    public void The_session_grain_class_name_in_the_contract_matches_the_class()
    {
        Assert.Equal(TelemetryNames.SessionGrainClass, typeof(SessionGrain).FullName);
    }

    [Fact]
    public void No_product_source_file_is_longer_than_a_reader_can_hold()
    {
        const int limit = 250;
        var tooLong = new[] { "Grains.Interfaces", "Grains", "Hosting", "Silo", "Client", "SessionGrains.Http", "SessionGrains.AspNetCore", "SessionGrains.SignalR", "SessionGrains.SignalR.Client", "samples" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(file => (File: Path.GetRelativePath(RepositoryPaths.Root, file), Lines: File.ReadLines(file).Count()))
            .Where(f => f.Lines > limit)
            .ToList();
        Assert.True(tooLong.Count == 0, "Over " + limit + " lines: " + string.Join(", ", tooLong.Select(f => $"{f.File} ({f.Lines})")));
    }
}
