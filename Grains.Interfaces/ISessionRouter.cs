using Orleans.Services;

namespace SessionGrains.Interfaces;

/// <summary>
/// A grain service on every silo: the front end's way into the silo that hosts a session. A front end picks the silo
/// for a session id by rendezvous hashing over the live gateways, and calls this service there directly (an Orleans
/// client sends a call to a silo's service straight to that silo's gateway). The service runs the call against the
/// session grain, which is activated on that same silo (<c>PreferLocalPlacement</c>), so a call takes one network hop.
/// </summary>
public interface ISessionRouter : IGrainService
{
    Task<TResult> Invoke<TResult>(string sessionId, SessionCall<TResult> call);
}

/// <summary>How a front end addresses the <see cref="ISessionRouter"/> of one silo.</summary>
public static class SessionRouterAddress
{
    // Orleans names a grain service after its interface's stable type hash; this is the same computation.
    private static readonly int TypeCode = (int)StableHash.ComputeHash(Orleans.Serialization.TypeSystem.RuntimeTypeNameFormatter.Format(typeof(ISessionRouter)));

    /// <summary>The router of the silo behind <paramref name="gateway"/> (its gateway address, as the client knows it).</summary>
    public static GrainId For(SiloAddress gateway) => SystemTargetGrainId.CreateGrainServiceGrainId(TypeCode, null!, gateway);
}
