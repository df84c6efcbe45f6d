using Microsoft.Extensions.DependencyInjection;
using SessionGrains.AspNetCore;
using SessionGrains.Tests.Http;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.Adoption;

/// <summary>
/// Moving an app's sessions from the Redis session provider to SessionGrains without downtime (docs/MIGRATION.md):
/// old, prepared and importing instances of one app side by side, sharing Redis, data-protection keys and users.
/// </summary>
[Collection(StandaloneCollection.Name)]
public sealed class MigrationTests(StandaloneFrontEnd frontEnd)
{
    [Fact]
    public async Task Sessions_move_from_the_Redis_provider_to_SessionGrains_while_old_and_new_instances_serve_them()
    {
        var keys = RepositoryPaths.NewTempFolder("dp-keys");
        await using var redis = await RedisServer.Start("everysec", CancellationToken.None);
        void Redis(IServiceCollection services) => services.AddStackExchangeRedisCache(o => o.Configuration = redis.ConnectionString);
        await using var old = await SessionApp.Start(keys, Redis);
        await using var prepared = await SessionApp.Start(keys, services =>
        {
            Redis(services);
            services.AddSessionGrains(o => o.MigrateFromDistributedCache(SessionMigrationPhase.Prepare).BaseAddress = frontEnd.BaseAddress);
        });
        await using var importing = await SessionApp.Start(keys, services =>
        {
            Redis(services);
            services.AddSessionGrains(o => o.MigrateFromDistributedCache(SessionMigrationPhase.Import).BaseAddress = frontEnd.BaseAddress);
        });

        // A user of the old app.
        using var user = new AppClient(old.Address);
        await user.Post("/set/cart?value=book");
        var oldCookie = user.Cookie!;

        // Phase 1, prepared instances: the old session stays in Redis, read and written by old and prepared instances alike.
        using (var onPrepared = new AppClient(prepared.Address, oldCookie))
        {
            Assert.Equal("book", await onPrepared.Get("/get/cart"));
            await onPrepared.Post("/set/cart?value=pen");
            Assert.Equal(oldCookie, onPrepared.Cookie);
        }
        Assert.Equal("pen", await user.Get("/get/cart"));
        // A new user of a prepared instance still gets an old-style session, which old instances can read.
        using (var newcomer = new AppClient(prepared.Address))
        {
            await newcomer.Post("/set/cart?value=mug");
            Assert.Null(prepared.TokenIn(newcomer.Cookie!));
            using var onOld = new AppClient(old.Address, newcomer.Cookie);
            Assert.Equal("mug", await onOld.Get("/get/cart"));
        }

        // Phase 2, importing instances: the session is copied at its next request and the cookie now names SessionGrains.
        using var moved = new AppClient(importing.Address, oldCookie);
        Assert.Equal("pen", await moved.Get("/get/cart"));
        var newCookie = moved.Cookie!;
        Assert.NotNull(importing.TokenIn(newCookie));
        await moved.Post("/set/cart?value=cup");
        // A prepared instance (still rolling out) follows the new cookie to SessionGrains.
        using (var onPrepared = new AppClient(prepared.Address, newCookie))
            Assert.Equal("cup", await onPrepared.Get("/get/cart"));
        // A straggling request with the old cookie finds the copy, not the stale Redis session.
        using (var straggler = new AppClient(importing.Address, oldCookie))
        {
            Assert.Equal("cup", await straggler.Get("/get/cart"));
            Assert.Equal(newCookie.Split('=')[0], straggler.Cookie!.Split('=')[0]);
            Assert.Equal(importing.TokenIn(newCookie), importing.TokenIn(straggler.Cookie));
        }
        // New users of importing instances start in SessionGrains.
        using (var fresh = new AppClient(importing.Address))
        {
            await fresh.Post("/set/cart?value=hat");
            Assert.True(importing.TokenIn(fresh.Cookie!) is not null, "no SessionGrains token in the new cookie; logged: " + string.Join(" / ", importing.Warnings));
        }

        Assert.Empty(prepared.Warnings);
        Assert.Empty(importing.Warnings);
        Directory.Delete(keys, recursive: true);
    }
}
