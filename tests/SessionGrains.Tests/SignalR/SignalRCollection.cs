using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>The SignalR tests share one <see cref="SignalRCluster"/>; a test that kills a process starts it again.</summary>
[CollectionDefinition(Name)]
public sealed class SignalRCollection : ICollectionFixture<SignalRCluster>
{
    public const string Name = "signalr cluster";
}
