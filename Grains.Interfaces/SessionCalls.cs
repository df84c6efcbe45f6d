namespace SessionGrains.Interfaces;

/// <summary>The operations the front end sends to sessions, one record each (see <see cref="SessionCall{TResult}"/>).</summary>
public static class SessionCalls
{
    public sealed record Create(SessionCreation Creation) : SessionCall<Reply<SessionInfo>>
    {
        public override Task<Reply<SessionInfo>> On(ISessionGrain session) => session.Create(Creation);

        public override Task<Reply<SessionInfo>> Via(ISessionRouter router, string sessionId) => router.Create(sessionId, Creation);
    }

    public sealed record Get : SessionCall<Reply<SessionView>>
    {
        public static readonly Get Instance = new();

        public override Task<Reply<SessionView>> On(ISessionGrain session) => session.Get();

        public override Task<Reply<SessionView>> Via(ISessionRouter router, string sessionId) => router.Get(sessionId);
    }

    public sealed record GetValue(string Key) : SessionCall<Reply<SessionValue>>
    {
        public override Task<Reply<SessionValue>> On(ISessionGrain session) => session.GetValue(Key);

        public override Task<Reply<SessionValue>> Via(ISessionRouter router, string sessionId) => router.GetValue(sessionId, Key);
    }

    public sealed record Put(string Key, string Json, SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Put(Key, Json, Write);

        public override Task<Reply<Written>> Via(ISessionRouter router, string sessionId) => router.Put(sessionId, Key, Json, Write);
    }

    public sealed record Remove(string Key, SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Remove(Key, Write);

        public override Task<Reply<Written>> Via(ISessionRouter router, string sessionId) => router.Remove(sessionId, Key, Write);
    }

    public sealed record Patch(string MergePatchJson, SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Patch(MergePatchJson, Write);

        public override Task<Reply<Written>> Via(ISessionRouter router, string sessionId) => router.Patch(sessionId, MergePatchJson, Write);
    }

    public sealed record Increment(string Key, long By, SessionWrite Write) : SessionCall<Reply<Counted>>
    {
        public override Task<Reply<Counted>> On(ISessionGrain session) => session.Increment(Key, By, Write);

        public override Task<Reply<Counted>> Via(ISessionRouter router, string sessionId) => router.Increment(sessionId, Key, By, Write);
    }

    public sealed record Delete(SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Delete(Write);

        public override Task<Reply<Written>> Via(ISessionRouter router, string sessionId) => router.Delete(sessionId, Write);
    }

    public sealed record Rotate(string NewId, SessionWrite Write) : SessionCall<Reply<SessionInfo>>
    {
        public override Task<Reply<SessionInfo>> On(ISessionGrain session) => session.Rotate(NewId, Write);

        public override Task<Reply<SessionInfo>> Via(ISessionRouter router, string sessionId) => router.Rotate(sessionId, NewId, Write);
    }

    public sealed record GetPlacement : SessionCall<Reply<SessionPlacement>>
    {
        public static readonly GetPlacement Instance = new();

        public override Task<Reply<SessionPlacement>> On(ISessionGrain session) => session.GetPlacement();

        public override Task<Reply<SessionPlacement>> Via(ISessionRouter router, string sessionId) => router.GetPlacement(sessionId);
    }

    public sealed record Inspect : SessionCall<Reply<SessionInspection>>
    {
        public static readonly Inspect Instance = new();

        public override Task<Reply<SessionInspection>> On(ISessionGrain session) => session.Inspect();

        public override Task<Reply<SessionInspection>> Via(ISessionRouter router, string sessionId) => router.Inspect(sessionId);
    }

    public sealed record Touch : SessionCall<Reply<SessionInfo>>
    {
        public static readonly Touch Instance = new();

        public override Task<Reply<SessionInfo>> On(ISessionGrain session) => session.Touch();

        public override Task<Reply<SessionInfo>> Via(ISessionRouter router, string sessionId) => router.Touch(sessionId);
    }

    public sealed record Publish(string Json, SessionWrite Write) : SessionCall<Reply<Published>>
    {
        public override Task<Reply<Published>> On(ISessionGrain session) => session.Publish(Json, Write);

        public override Task<Reply<Published>> Via(ISessionRouter router, string sessionId) => router.Publish(sessionId, Json, Write);
    }

    public sealed record Subscribe(ISessionObserver Observer, int Sockets) : SessionCall<Reply<Subscribed>>
    {
        public override Task<Reply<Subscribed>> On(ISessionGrain session) => session.Subscribe(Observer, Sockets);

        public override Task<Reply<Subscribed>> Via(ISessionRouter router, string sessionId) => router.Subscribe(sessionId, Observer, Sockets);
    }

    public sealed record Unsubscribe(ISessionObserver Observer) : SessionCall<bool>
    {
        public override async Task<bool> On(ISessionGrain session)
        {
            await session.Unsubscribe(Observer);
            return true;
        }

        public override Task<bool> Via(ISessionRouter router, string sessionId) => router.Unsubscribe(sessionId, Observer);
    }

    public sealed record GetEvents(long AfterSeq) : SessionCall<Reply<EventPage>>
    {
        public override Task<Reply<EventPage>> On(ISessionGrain session) => session.GetEvents(AfterSeq);

        public override Task<Reply<EventPage>> Via(ISessionRouter router, string sessionId) => router.GetEvents(sessionId, AfterSeq);
    }

    public sealed record AcquireLease(string LeaseId, TimeSpan Ttl, TimeSpan Wait, CancellationToken CancellationToken) : SessionCall<Reply<LeaseGranted>>
    {
        public override Task<Reply<LeaseGranted>> On(ISessionGrain session) => session.AcquireLease(LeaseId, Ttl, Wait, CancellationToken);

        public override Task<Reply<LeaseGranted>> Via(ISessionRouter router, string sessionId) =>
            router.AcquireLease(sessionId, LeaseId, Ttl, Wait, CancellationToken);
    }

    public sealed record ReleaseLease(string LeaseId, string? MergePatchJson, SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.ReleaseLease(LeaseId, MergePatchJson, Write);

        public override Task<Reply<Written>> Via(ISessionRouter router, string sessionId) => router.ReleaseLease(sessionId, LeaseId, MergePatchJson, Write);
    }

    /// <summary>
    /// <see cref="ReleaseLease"/> with a flat merge patch given as its members: data keys and the JSON text of their values
    /// (null: remove), as the patch's reader would give them (at least one). A grain active in this process takes them as
    /// they are (<see cref="ILocalSessionGrain.CommitLease"/>: no patch text written here and parsed there); any other
    /// way, they go as the merge patch they stand for.
    /// </summary>
    public sealed record CommitChanges(string LeaseId, KeyValuePair<string, string?>[] Changes, SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session is ILocalSessionGrain here
            ? here.CommitLease(LeaseId, Changes, Write)
            : session.ReleaseLease(LeaseId, MergePatch(Changes), Write);

        public override Task<Reply<Written>> Via(ISessionRouter router, string sessionId) => router.ReleaseLease(sessionId, LeaseId, MergePatch(Changes), Write);

        /// <summary>The merge patch of <paramref name="changes"/>: each name a JSON string, each value its JSON text or null.</summary>
        public static string MergePatch(IReadOnlyList<KeyValuePair<string, string?>> changes)
        {
            var json = new System.Text.StringBuilder("{");
            foreach (var (key, value) in changes)
            {
                if (json.Length > 1) json.Append(',');
                json.Append(System.Text.Json.JsonSerializer.Serialize(key)).Append(':').Append(value ?? "null");
            }
            return json.Append('}').ToString();
        }
    }
}
