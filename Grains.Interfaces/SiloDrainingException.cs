namespace SessionGrains.Interfaces;

/// <summary>
/// Thrown by a silo's <see cref="ISessionRouter"/> before it does anything when the silo is draining (it received SIGTERM
/// and is handing its sessions over). The call had no effect: a front end routes it to the next silo in rank at once.
/// </summary>
[GenerateSerializer, Alias("SessionGrains.SiloDraining")]
public sealed class SiloDrainingException : Exception
{
    public SiloDrainingException()
        : base("This silo is draining; call the next silo in rank.")
    {
    }

    public SiloDrainingException(string message)
        : base(message)
    {
    }

    public SiloDrainingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
