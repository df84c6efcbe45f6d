using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Http;

/// <summary>HTTP contract tests share one standalone front end on a free loopback port.</summary>
[CollectionDefinition(Name)]
public sealed class StandaloneCollection : ICollectionFixture<StandaloneFrontEnd>
{
    public const string Name = "standalone front end";
}
