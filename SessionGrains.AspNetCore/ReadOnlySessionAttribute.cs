namespace SessionGrains.AspNetCore;

/// <summary>
/// Endpoint metadata: the endpoint only reads <c>HttpContext.Session</c>. Such a request loads the session without taking
/// its lease, so it never waits behind another request of the same session (as classic ASP.NET's read-only session
/// state). It may read what a concurrent leased request is about to change, and any change it attempts (<c>Set</c>,
/// <c>Remove</c>, <c>Clear</c>) throws <see cref="InvalidOperationException"/>. Put it on a controller or action
/// (<c>[ReadOnlySession]</c>) or a minimal API (<c>.WithMetadata(new ReadOnlySessionAttribute())</c>); the endpoint must
/// be known when <c>UseSession()</c> runs (after routing, which <c>WebApplication</c> adds first by default).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true)]
public sealed class ReadOnlySessionAttribute : Attribute;
