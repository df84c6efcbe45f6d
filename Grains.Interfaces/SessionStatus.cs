namespace SessionGrains.Interfaces;

/// <summary>Outcome of a session operation; the front end maps each to one HTTP status.</summary>
[GenerateSerializer]
public enum SessionStatus
{
    Ok = 0,
    // 1 was "Created": a created session now answers Ok with its SessionInfo.
    SessionNotFound = 2,
    KeyNotFound = 3,
    VersionMismatch = 4,
    InvalidKey = 5,
    InvalidArgument = 6,
    ValueTooLarge = 7,
    SessionTooLarge = 8,
    TooManyKeys = 9,
    NotAnInteger = 10,
    RateLimited = 11,
    AlreadyExists = 12,
    TooManySockets = 13,
    /// <summary>An idempotency key already answered a different operation or request body.</summary>
    IdempotencyKeyReused = 14,
    /// <summary>Another request held the session's lease for the whole time the caller would wait.</summary>
    LeaseBusy = 15,
    /// <summary>A write named a lease that is not the session's lease (released, taken over after expiry, or lost with a silo).</summary>
    LeaseLost = 16,
    // Session jobs (issue 12); numbered apart so other additions do not collide.
    /// <summary>The session holds as many jobs as it may (<see cref="JobRules.MaxJobsPerSession"/>).</summary>
    TooManyJobs = 40,
    JobNotFound = 41,
    /// <summary>The job's planned output exceeds <see cref="JobRules.MaxOutputBytes"/>, or its upload <see cref="JobRules.MaxUploadBytes"/>.</summary>
    JobTooLarge = 42,
}
