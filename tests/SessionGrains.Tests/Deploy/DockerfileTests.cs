using System.Text.RegularExpressions;
using System.Xml.Linq;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Deploy;

/// <summary>
/// The images build from the repository alone (no Docker engine runs here): each Dockerfile copies every project the
/// project it publishes references, directly or not, both for the restore layer and with its sources.
/// </summary>
public sealed partial class DockerfileTests
{
    [Theory]
    [InlineData("silo.Dockerfile", "Silo/Silo.csproj")]
    [InlineData("frontend.Dockerfile", "Client/Client.csproj")]
    public void Every_referenced_project_is_copied_before_the_restore_and_with_its_sources(string dockerfile, string published)
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "deploy", dockerfile));
        var copied = lines.Select(l => CopyLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var project in Closure(published))
        {
            var folder = project[..project.IndexOf('/')];
            Assert.True(copied.Contains(project), $"{dockerfile} does not copy {project} before the restore");
            Assert.True(copied.Contains(folder + "/"), $"{dockerfile} does not copy the sources of {folder}/");
        }
    }

    /// <summary>The project and every project it references, as repository-relative paths with forward slashes.</summary>
    private static IEnumerable<string> Closure(string project)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next)) continue;
            var directory = Path.GetDirectoryName(Path.Combine(RepositoryPaths.Root, next))!;
            foreach (var reference in XDocument.Load(Path.Combine(RepositoryPaths.Root, next)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(directory, ((string)reference.Attribute("Include")!).Replace('\\', '/')));
                pending.Push(Path.GetRelativePath(RepositoryPaths.Root, full).Replace('\\', '/'));
            }
        }
        return seen;
    }

    [GeneratedRegex(@"^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+\s*$")]
    private static partial Regex CopyLine();
}
