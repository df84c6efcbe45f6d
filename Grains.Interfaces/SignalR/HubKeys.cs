namespace SessionGrains.Interfaces.SignalR;

/// <summary>
/// Grain keys of the SignalR grains. Every key starts with the hub's name so two hubs never share a group or a
/// mailbox. A recipient is a session id (<c>s:</c>), or a connection id (<c>c:</c>) when the connection presented
/// no session token and so can't be resumed.
/// </summary>
public static class HubKeys
{
    public static string Mailbox(string hub, string recipient) => $"{hub}/m/{recipient}";

    public static string SessionRecipient(string sessionId) => "s:" + sessionId;

    public static string ConnectionRecipient(string connectionId) => "c:" + connectionId;

    public static string Group(string hub, string group) => $"{hub}/g/{group}";

    public static string User(string hub, string userId) => $"{hub}/u/{userId}";

    public static string All(string hub) => $"{hub}/all";

    public static string Connection(string hub, string connectionId) => $"{hub}/c/{connectionId}";
}
