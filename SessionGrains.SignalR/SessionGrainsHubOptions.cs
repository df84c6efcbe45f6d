using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.SignalR;

/// <summary>How long messages are kept for a recipient to come back, and how calls to the grains ride out failures; section <c>SignalR</c>.</summary>
public sealed class SessionGrainsHubOptions
{
    public const string Section = "SignalR";

    /// <summary>
    /// Messages kept per recipient (the newest ones); a recipient further behind misses the oldest. Every message stored
    /// rewrites the recipient's kept log, so this bounds the cost of a delivery as much as the reach of a resume.
    /// </summary>
    public int MaxMessages { get; set; } = 1000;

    /// <summary>How long a message is kept for a recipient that is not connected.</summary>
    public TimeSpan MessageLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a send, join or connect keeps retrying across a silo failure before it fails.</summary>
    public TimeSpan CallDeadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a server renews its subscriptions, so a mailbox reactivated on another silo knows it again.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(15);

    internal HubRetention Retention => new(MaxMessages, MessageLifetime);
}
