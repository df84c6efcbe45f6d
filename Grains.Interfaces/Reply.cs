using System.Diagnostics.CodeAnalysis;

namespace SessionGrains.Interfaces;

/// <summary>
/// The answer of a session operation: its typed result, or a failure. A struct, so an answer costs no allocation
/// beyond its result. Converts implicitly from either side, so an operation returns a result or a failure alike.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct Reply<T> where T : class
{
    [Id(0)] public T? Value { get; init; }

    [Id(1)] public SessionFailure? Failure { get; init; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Failure is null && Value is not null;

    /// <summary><see cref="SessionStatus.Ok"/> on success, otherwise why it failed.</summary>
    public SessionStatus Status => Failure?.Status ?? SessionStatus.Ok;

    public static implicit operator Reply<T>(T value) => new() { Value = value };

    public static implicit operator Reply<T>(SessionFailure failure) => new() { Failure = failure };

    /// <summary>The same failure as an answer of another operation.</summary>
    public Reply<TOther> As<TOther>() where TOther : class =>
        Failure is { } failure ? failure : throw new InvalidOperationException("Only a failure converts to another reply type.");
}

/// <summary>Why an operation was refused: the status the front end maps to HTTP, a readable detail, and when to retry.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionFailure(
    [property: Id(0)] SessionStatus Status,
    [property: Id(1)] string Detail,
    [property: Id(2)] int RetryAfterSeconds = 0);
