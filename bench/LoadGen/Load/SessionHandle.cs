namespace SessionGrains.Bench.LoadGen.Load;

/// <summary>How requests name one session: SessionGrains' token as a bearer header, or the baseline's session cookie.</summary>
public sealed record SessionHandle(string HeaderName, string HeaderValue, string? Token);
