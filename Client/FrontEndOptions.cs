namespace SessionGrains.Client;

/// <summary>How the front end calls grains, bound from the <c>FrontEnd</c> section.</summary>
public sealed class FrontEndOptions
{
    public const string Section = "FrontEnd";

    /// <summary>Deadline of one request's grain work, retries included; well under Orleans' 30 s response timeout.</summary>
    public TimeSpan CallDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First pause before retrying a grain call that failed because a silo went away; doubles each time.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Longest pause between retries.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest request body accepted, in bytes (a whole session plus formatting).</summary>
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024 + 64 * 1024;

    /// <summary>Seconds a client is told to wait (Retry-After) when the service is unavailable.</summary>
    public int UnavailableRetryAfterSeconds { get; set; } = 1;
}
