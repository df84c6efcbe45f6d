using System.Security.Cryptography;

namespace SessionGrains.Client.Standalone;

/// <summary>
/// In standalone mode, the token signing key and the API key are generated on first start and kept in
/// the data folder, so tokens and the key survive a restart. The folder is the owner's alone (0700) and each key
/// file is created readable by the owner only (0600), never briefly readable by others.
/// </summary>
public static class StandaloneSecrets
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Adds <c>Tokens:SigningKey</c> and <c>Admin:ApiKey</c> from the data folder where configuration leaves them unset.</summary>
    public static void AddStandaloneSecrets(this ConfigurationManager configuration, string dataPath)
    {
        CreateOwnerOnlyFolder(dataPath);
        var values = new Dictionary<string, string?>();
        if (string.IsNullOrEmpty(configuration["Tokens:SigningKey"]))
            values["Tokens:SigningKey"] = ReadOrCreate(Path.Combine(dataPath, "signing-key"), () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        if (string.IsNullOrEmpty(configuration["Admin:ApiKey"]))
            values["Admin:ApiKey"] = ReadOrCreate(Path.Combine(dataPath, "api-key"), () => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
        configuration.AddInMemoryCollection(values);
    }

    /// <summary>The data folder, 0700; an existing folder open to group or others is narrowed to its owner.</summary>
    private static void CreateOwnerOnlyFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, OwnerOnlyFolder);
        if ((File.GetUnixFileMode(path) & ~OwnerOnlyFolder) != 0) File.SetUnixFileMode(path, OwnerOnlyFolder);
    }

    private static string ReadOrCreate(string path, Func<string> create)
    {
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnlyFile) != 0) File.SetUnixFileMode(path, OwnerOnlyFile);
            return File.ReadAllText(path).Trim();
        }
        var value = create();
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            // A leftover temporary file keeps its old mode through FileMode.Create: remove it first.
            File.Delete(temporary);
            options.UnixCreateMode = OwnerOnlyFile;
        }
        using (var file = new FileStream(temporary, options))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(value);
        }
        File.Move(temporary, path, overwrite: false);
        return value;
    }
}
