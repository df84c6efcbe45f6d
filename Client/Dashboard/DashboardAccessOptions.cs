namespace SessionGrains.Client.Dashboard;

/// <summary>Access to the Orleans Dashboard at <c>/dashboard</c>, bound from the <c>Dashboard</c> section.</summary>
public sealed class DashboardAccessOptions
{
    public const string Section = "Dashboard";

    /// <summary>How long the login cookie that <c>/dashboard/?key=…</c> sets stays valid.</summary>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromHours(8);
}
