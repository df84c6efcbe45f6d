using Microsoft.Extensions.DependencyInjection;
using SessionGrains.Interfaces;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Grains;

/// <summary>
/// Creations as the front ends send them (<see cref="ISessionCreator"/>): the first state is written to storage and the
/// grain is activated only by the session's first call, which reads it.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class SessionCreatorTests(GrainClusterFixture cluster)
{
    private ISessionCreator Creator => cluster.Cluster.Silos[0].ServiceProvider.GetRequiredService<ISessionCreator>();

    /// <summary>As the callers do: stored, or else the grain decides.</summary>
    private async Task<Reply<SessionInfo>> Create(string id, SessionCreation creation) =>
        await Creator.TryStore(id, creation) ?? await cluster.Session(id).Create(creation);

    private Task<int> Activations(string id) =>
        cluster.Client.GetGrain<IManagementGrain>(0).GetGrainActivationCount((GrainReference)cluster.Session(id));

    private static SessionCreation Cart(string? key, string cart = """["book-17"]""", TimeSpan? idle = null) =>
        new(new Dictionary<string, string> { ["cart"] = cart }, idle, null, key);

    [Fact]
    public async Task A_created_session_is_stored_without_an_activation_and_its_first_call_reads_it()
    {
        var id = GrainClusterFixture.NewSessionId();

        var created = await Create(id, Cart("create-1", idle: TimeSpan.FromMinutes(5)));

        Assert.True(created.Succeeded, created.Failure?.Detail);
        Assert.Equal(id, created.Value.Id);
        Assert.Equal(1, created.Value.Version);
        Assert.Equal(TimeSpan.FromMinutes(5), created.Value.ExpiresAt - created.Value.LastAccessAt);
        Assert.Equal(0, await Activations(id));
        var stored = await cluster.StoredState(cluster.Session(id));
        Assert.NotNull(stored);
        Assert.Equal(1, stored.Version);
        Assert.Equal("""["book-17"]""", stored.Data["cart"]);
        Assert.NotNull(stored.PurgeAfter);

        var read = await cluster.Session(id).Get();

        Assert.Equal(SessionStatus.Ok, read.Status);
        Assert.Equal(1, read.Value!.Info.Version);
        Assert.Equal(created.Value.CreatedAt, read.Value.Info.CreatedAt);
        Assert.Equal(TimeSpan.FromMinutes(5), read.Value.Info.ExpiresAt - read.Value.Info.LastAccessAt);
        Assert.Equal("""["book-17"]""", read.Value.Data["cart"]);
        Assert.Equal(1, await Activations(id));
    }

    [Fact]
    public async Task A_creation_retried_under_its_key_gets_the_first_answer_and_any_other_is_refused()
    {
        var id = GrainClusterFixture.NewSessionId();
        var first = await Create(id, Cart("create-2"));
        Assert.True(first.Succeeded, first.Failure?.Detail);

        var retried = await Create(id, Cart("create-2"));
        var otherBody = await Create(id, Cart("create-2", cart: "[]"));
        var noKey = await Create(id, Cart(null));

        Assert.Equal(SessionStatus.Ok, retried.Status);
        Assert.Equal(first.Value, retried.Value);
        Assert.Equal(SessionStatus.IdempotencyKeyReused, otherBody.Status);
        Assert.Equal(SessionStatus.AlreadyExists, noKey.Status);
        var read = await cluster.Session(id).Get();
        Assert.Equal(1, read.Value!.Info.Version);
        Assert.Equal("""["book-17"]""", read.Value.Data["cart"]);
    }

    [Fact]
    public async Task A_creation_against_the_rules_answers_its_failure_and_stores_nothing()
    {
        var id = GrainClusterFixture.NewSessionId();

        var badIdle = await Create(id, Cart(null, idle: TimeSpan.FromMilliseconds(500)));
        var tooLarge = await Create(id, Cart(null, cart: $"\"{new string('x', cluster.Sessions.MaxValueBytes)}\""));

        Assert.Equal(SessionStatus.InvalidArgument, badIdle.Status);
        Assert.False(tooLarge.Succeeded);
        Assert.Null(await cluster.StoredState(cluster.Session(id)));
        Assert.Equal(0, await Activations(id));
    }

    [Fact]
    public async Task A_creation_for_a_user_goes_through_the_grain_which_indexes_it_first()
    {
        var id = GrainClusterFixture.NewSessionId();

        var created = await Create(id, new SessionCreation(new Dictionary<string, string>(), null, "user-creator", null));

        Assert.True(created.Succeeded, created.Failure?.Detail);
        Assert.Equal("user-creator", created.Value.UserId);
        Assert.Equal(1, await Activations(id));
        Assert.Contains(id, (await cluster.Client.GetGrain<IUserSessionsGrain>("user-creator").List()).Select(s => s.Id));
    }
}
