namespace SessionGrains.Client.Admin;

/// <summary>Trusted-caller settings, bound from the <c>Admin</c> section.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>The API key trusted callers send as <c>X-Api-Key</c>. Unset: trusted endpoints refuse everyone (generated in standalone mode).</summary>
    public string? ApiKey { get; set; }
}
