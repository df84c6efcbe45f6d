using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Cluster;

/// <summary>Failure tests share one local cluster (Redis, 3 silos, 2 front ends); each leaves it whole again.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<LocalCluster>
{
    public const string Name = "local cluster";
}
