using SessionGrains.Grains.Placement;
using Xunit;

namespace SessionGrains.Tests.Parts;

/// <summary>The ids a silo's process minted for sessions it is creating: each answers one directory lookup, once.</summary>
public sealed class NewSessionIdsTests
{
    [Fact]
    public void A_minted_id_is_taken_by_one_lookup_and_no_other_id_is()
    {
        var ids = new NewSessionIds();
        var minted = Direct.SessionTokens.NewId();
        var other = Direct.SessionTokens.NewId();
        Assert.False(ids.Take(GrainId.Create("sessiongrain", minted)));

        ids.Minted(minted);
        Assert.False(ids.Take(GrainId.Create("sessiongrain", other)));
        Assert.True(ids.Take(GrainId.Create("sessiongrain", minted)));
        // Taken: a later lookup (the grain deactivated and called again) asks the directory.
        Assert.False(ids.Take(GrainId.Create("sessiongrain", minted)));
    }

    [Fact]
    public void Thousands_of_ids_in_flight_are_each_taken_once()
    {
        var ids = new NewSessionIds();
        var minted = Enumerable.Range(0, 3000).Select(_ => Direct.SessionTokens.NewId()).ToList();
        Parallel.ForEach(minted, ids.Minted);
        Assert.All(minted, id => Assert.True(ids.Take(GrainId.Create("sessiongrain", id))));
        Assert.All(minted, id => Assert.False(ids.Take(GrainId.Create("sessiongrain", id))));
    }
}
