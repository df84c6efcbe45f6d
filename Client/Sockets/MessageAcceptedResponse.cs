namespace SessionGrains.Client.Sockets;

/// <summary>Answer to a posted message: the event sequence number it got.</summary>
public sealed record MessageAcceptedResponse(long Seq);
