using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>What a client that resumed with <c>afterSeq</c> must have seen: every event once, in order, none acknowledged missing.</summary>
public static class DeliveryAssert
{
    /// <summary>
    /// <paramref name="received"/> (over every connection, in order of arrival) is 1, 2, 3, … without a hole or a repeat,
    /// and reaches every acknowledged <c>seq</c>. Events posted but never acknowledged (cut off by the test's stop) may
    /// follow the last acknowledged one.
    /// </summary>
    public static void EveryAcknowledgedEventOnceInOrder(IReadOnlyList<long> received, IReadOnlyList<long> acknowledged)
    {
        Assert.NotEmpty(acknowledged);
        for (var i = 0; i < received.Count; i++)
        {
            Assert.True(received[i] == i + 1, $"event {i + 1} received was seq {received[i]} (duplicate or hole); received: {string.Join(",", received)}");
        }
        Assert.True(received.Count >= acknowledged.Max(), $"received up to seq {received.Count}, acknowledged up to {acknowledged.Max()}");
        Assert.Equal(acknowledged.Count, acknowledged.Distinct().Count());
    }
}
