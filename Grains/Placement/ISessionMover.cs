namespace SessionGrains.Grains.Placement;

/// <summary>Silo-internal: asks a session's activation to move, live, to another silo (front ends never call it).</summary>
[Alias("SessionGrains.ISessionMover")]
public interface ISessionMover : IGrainWithStringKey
{
    /// <summary>
    /// Starts a live migration of the activation to <paramref name="target"/> once it is idle; its state and in-memory
    /// fields travel with it (no storage read). Answers false when it is there already or the move could not start.
    /// </summary>
    [Alias("MoveTo"), Orleans.Concurrency.AlwaysInterleave]
    Task<bool> MoveTo(SiloAddress target);
}
