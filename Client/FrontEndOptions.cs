namespace SessionGrains.Client;

/// <summary>How the front end calls grains, bound from the <c>FrontEnd</c> section.</summary>
public sealed class FrontEndOptions
{
    public const string Section = "FrontEnd";

    /// <summary>Deadline of one request's grain work, retries included; well under Orleans' 30 s response timeout.</summary>
    public TimeSpan CallDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First pause before retrying a grain call that failed because a silo went away; doubles each time.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Longest pause between retries. Short, so that a call retried while a killed silo is being declared dead (its
    /// sessions' directory entries still name it, and the call is refused at once) goes through within a quarter of a
    /// second of the declaration.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest request body accepted, in bytes (a whole session plus formatting).</summary>
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024 + 64 * 1024;

    /// <summary>Seconds a client is told to wait (Retry-After) when the service is unavailable.</summary>
    public int UnavailableRetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// How long a stopping front end lets the requests it already has run on; then it answers those still waiting
    /// (on a slow or failing silo) 503 with Retry-After and Connection: close (<see cref="Operations.FrontEndDrain"/>).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>Every bad <c>FrontEnd</c> setting, by name.</summary>
public sealed class FrontEndOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<FrontEndOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, FrontEndOptions o)
    {
        var failures = new List<string>();
        if (o.CallDeadline <= TimeSpan.Zero || o.CallDeadline >= TimeSpan.FromSeconds(30))
            failures.Add("FrontEnd:CallDeadline must lie between 0 and 30 seconds (Orleans' response timeout).");
        if (o.FirstRetryDelay <= TimeSpan.Zero || o.MaxRetryDelay < o.FirstRetryDelay)
            failures.Add("FrontEnd:FirstRetryDelay must be positive and at most MaxRetryDelay.");
        if (o.MaxRequestBodyBytes <= 0) failures.Add("FrontEnd:MaxRequestBodyBytes must be positive.");
        if (o.UnavailableRetryAfterSeconds <= 0) failures.Add("FrontEnd:UnavailableRetryAfterSeconds must be positive.");
        if (o.DrainTimeout <= TimeSpan.Zero || o.DrainTimeout >= TimeSpan.FromSeconds(30))
            failures.Add("FrontEnd:DrainTimeout must lie between 0 and 30 seconds (the host's shutdown timeout).");
        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}
