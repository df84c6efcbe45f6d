namespace SessionGrains.Tests.Infrastructure;

/// <summary>Where the repository and the build outputs of its hosts are.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, as this test assembly was built.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string ClientDll => HostDll("Client", "SessionGrains.Client.dll");

    public static string SiloDll => HostDll("Silo", "SessionGrains.Silo.dll");

    /// <summary>A fresh folder under the system temp folder, for one test's data.</summary>
    public static string NewTempFolder(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), "session-grains-tests", $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string HostDll(string project, string dll)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", dll);
        if (!File.Exists(path)) throw new FileNotFoundException($"Build {project} first ({Configuration}).", path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SessionGrains.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("SessionGrains.sln not found above " + AppContext.BaseDirectory);
    }
}
