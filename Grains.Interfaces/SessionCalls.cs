namespace SessionGrains.Interfaces;

/// <summary>The operations the front end sends to sessions, one record each (see <see cref="SessionCall{TResult}"/>).</summary>
public static class SessionCalls
{
    [GenerateSerializer, Immutable]
    public sealed record Create([property: Id(0)] SessionCreation Creation) : SessionCall<Reply<SessionInfo>>
    {
        public override Task<Reply<SessionInfo>> On(ISessionGrain session) => session.Create(Creation);
    }

    [GenerateSerializer, Immutable]
    public sealed record Get : SessionCall<Reply<SessionView>>
    {
        public static readonly Get Instance = new();

        public override Task<Reply<SessionView>> On(ISessionGrain session) => session.Get();
    }

    [GenerateSerializer, Immutable]
    public sealed record GetValue([property: Id(0)] string Key) : SessionCall<Reply<SessionValue>>
    {
        public override Task<Reply<SessionValue>> On(ISessionGrain session) => session.GetValue(Key);
    }

    [GenerateSerializer, Immutable]
    public sealed record Put([property: Id(0)] string Key, [property: Id(1)] string Json, [property: Id(2)] SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Put(Key, Json, Write);
    }

    [GenerateSerializer, Immutable]
    public sealed record Remove([property: Id(0)] string Key, [property: Id(1)] SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Remove(Key, Write);
    }

    [GenerateSerializer, Immutable]
    public sealed record Patch([property: Id(0)] string MergePatchJson, [property: Id(1)] SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Patch(MergePatchJson, Write);
    }

    [GenerateSerializer, Immutable]
    public sealed record Increment([property: Id(0)] string Key, [property: Id(1)] long By, [property: Id(2)] SessionWrite Write) : SessionCall<Reply<Counted>>
    {
        public override Task<Reply<Counted>> On(ISessionGrain session) => session.Increment(Key, By, Write);
    }

    [GenerateSerializer, Immutable]
    public sealed record Delete([property: Id(0)] SessionWrite Write) : SessionCall<Reply<Written>>
    {
        public override Task<Reply<Written>> On(ISessionGrain session) => session.Delete(Write);
    }

    [GenerateSerializer, Immutable]
    public sealed record Rotate([property: Id(0)] string NewId, [property: Id(1)] SessionWrite Write) : SessionCall<Reply<SessionInfo>>
    {
        public override Task<Reply<SessionInfo>> On(ISessionGrain session) => session.Rotate(NewId, Write);
    }

    [GenerateSerializer, Immutable]
    public sealed record GetPlacement : SessionCall<Reply<SessionPlacement>>
    {
        public static readonly GetPlacement Instance = new();

        public override Task<Reply<SessionPlacement>> On(ISessionGrain session) => session.GetPlacement();
    }

    [GenerateSerializer, Immutable]
    public sealed record Inspect : SessionCall<Reply<SessionInspection>>
    {
        public static readonly Inspect Instance = new();

        public override Task<Reply<SessionInspection>> On(ISessionGrain session) => session.Inspect();
    }

    [GenerateSerializer, Immutable]
    public sealed record Touch : SessionCall<Reply<SessionInfo>>
    {
        public static readonly Touch Instance = new();

        public override Task<Reply<SessionInfo>> On(ISessionGrain session) => session.Touch();
    }

    [GenerateSerializer, Immutable]
    public sealed record Publish([property: Id(0)] string Json, [property: Id(1)] SessionWrite Write) : SessionCall<Reply<Published>>
    {
        public override Task<Reply<Published>> On(ISessionGrain session) => session.Publish(Json, Write);
    }

    [GenerateSerializer, Immutable]
    public sealed record Subscribe([property: Id(0)] ISessionObserver Observer, [property: Id(1)] int Sockets) : SessionCall<Reply<Subscribed>>
    {
        public override Task<Reply<Subscribed>> On(ISessionGrain session) => session.Subscribe(Observer, Sockets);
    }

    [GenerateSerializer, Immutable]
    public sealed record Unsubscribe([property: Id(0)] ISessionObserver Observer) : SessionCall<bool>
    {
        public override async Task<bool> On(ISessionGrain session)
        {
            await session.Unsubscribe(Observer);
            return true;
        }
    }

    [GenerateSerializer, Immutable]
    public sealed record GetEvents([property: Id(0)] long AfterSeq) : SessionCall<Reply<EventPage>>
    {
        public override Task<Reply<EventPage>> On(ISessionGrain session) => session.GetEvents(AfterSeq);
    }
}
