namespace SessionGrains.SignalR;

/// <summary>
/// What the client helpers and the server agree on. After each message the server sends the invocation
/// <see cref="SequenceMethod"/>(n) in the same transport frame: the client remembers n, and on reconnect presents it as
/// query <see cref="ResumeQuery"/> or header <see cref="ResumeHeader"/>; the server replays what came after n.
/// </summary>
public static class ResumeProtocol
{
    public const string SequenceMethod = "sg.seq";

    public const string ResumeQuery = "resumeAfter";

    public const string ResumeHeader = "SessionGrains-Resume-After";
}
