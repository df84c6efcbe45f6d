using SessionGrains.Grains.Placement;
using Xunit;

namespace SessionGrains.Tests.Grains;

public sealed class MoveRampTests
{
    [Fact]
    public void Moves_start_at_an_eighth_of_the_rate_and_reach_the_full_rate_after_three_seconds()
    {
        var ramp = new MoveRamp(200);
        var due = Enumerable.Range(0, 1000).Select(k => ramp.Due(k).TotalSeconds).ToArray();
        Assert.Equal(0, due[0]);
        Assert.True(due.Zip(due.Skip(1)).All(p => p.Second > p.First), "starts must come in order");
        // The first second starts about 25 / ln 2 · (2 - 1) = 36 moves, far fewer than the full rate's 200.
        var firstSecond = due.Count(t => t < 1);
        Assert.InRange(firstSecond, 30, 40);
        // From 3 s on, one move every 5 ms.
        var late = due.Where(t => t > 3.1).Take(100).ToArray();
        Assert.Equal(0.005, (late[^1] - late[0]) / (late.Length - 1), 6);
        // 1,000 moves: about 252 in the 3 s of ramp, the rest at 200 a second.
        Assert.InRange(due[^1], 6.6, 6.9);
    }
}
