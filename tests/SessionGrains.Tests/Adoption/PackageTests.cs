using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Adoption;

/// <summary>The two libraries pack as NuGet packages with their id, version, description, README and dependencies.</summary>
public sealed class PackageTests
{
    [Theory]
    [InlineData("SessionGrains.Http", "Microsoft.Extensions.Http.Resilience")]
    [InlineData("SessionGrains.AspNetCore", "SessionGrains.Http")]
    public async Task The_library_packs_with_its_readme_and_dependencies(string project, string dependency)
    {
        var output = RepositoryPaths.NewTempFolder("pack");
        try
        {
            var info = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = RepositoryPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // The build of this test run is packed as it is: no second build competing with the test run.
            foreach (var arg in new[] { "pack", Path.Combine(project, project + ".csproj"), "--no-build", "--no-restore", "-c", RepositoryPaths.Configuration, "-o", output, "-nologo" })
                info.ArgumentList.Add(arg);
            using var process = Process.Start(info)!;
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"dotnet pack {project} exited with {process.ExitCode}:\n{await log}\n{await errors}");

            var package = Path.Combine(output, $"{project}.0.1.0.nupkg");
            Assert.True(File.Exists(package), $"no {package}: {string.Join(", ", Directory.GetFiles(output))}");
            using var zip = ZipFile.OpenRead(package);
            Assert.NotNull(zip.GetEntry("README.md"));
            Assert.NotNull(zip.GetEntry($"lib/net10.0/{project}.dll"));
            Assert.NotNull(zip.GetEntry($"lib/net10.0/{project}.xml"));
            using var nuspec = zip.GetEntry($"{project}.nuspec")!.Open();
            var manifest = XDocument.Load(nuspec);
            var ns = manifest.Root!.GetDefaultNamespace();
            var metadata = manifest.Root.Element(ns + "metadata")!;
            Assert.Equal(project, metadata.Element(ns + "id")!.Value);
            Assert.Equal("0.1.0", metadata.Element(ns + "version")!.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")!.Value));
            Assert.Contains(manifest.Descendants(ns + "dependency"), d => (string?)d.Attribute("id") == dependency);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
