using System.Security.Cryptography;

namespace SessionGrains.Client.Standalone;

/// <summary>
/// In standalone mode, the token signing key and the API key are generated on first start and kept in
/// the data folder, so tokens and the key survive a restart.
/// </summary>
public static class StandaloneSecrets
{
    /// <summary>Adds <c>Tokens:SigningKey</c> and <c>Admin:ApiKey</c> from the data folder where configuration leaves them unset.</summary>
    public static void AddStandaloneSecrets(this ConfigurationManager configuration, string dataPath)
    {
        Directory.CreateDirectory(dataPath);
        var values = new Dictionary<string, string?>();
        if (string.IsNullOrEmpty(configuration["Tokens:SigningKey"]))
            values["Tokens:SigningKey"] = ReadOrCreate(Path.Combine(dataPath, "signing-key"), () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        if (string.IsNullOrEmpty(configuration["Admin:ApiKey"]))
            values["Admin:ApiKey"] = ReadOrCreate(Path.Combine(dataPath, "api-key"), () => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
        configuration.AddInMemoryCollection(values);
    }

    private static string ReadOrCreate(string path, Func<string> create)
    {
        if (File.Exists(path)) return File.ReadAllText(path).Trim();
        var value = create();
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(value);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: false);
        return value;
    }
}
