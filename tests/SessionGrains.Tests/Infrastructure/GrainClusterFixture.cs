using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Orleans.TestingHost;
using SessionGrains.Grains;
using SessionGrains.Hosting;
using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces;
using Xunit;

namespace SessionGrains.Tests.Infrastructure;

/// <summary>
/// One in-process silo whose session grains persist to the real <see cref="SqliteGrainStorage"/> in a temp
/// folder, registered as standalone mode registers it. Limits are small so that tests reach them cheaply;
/// a derived fixture may change them in <see cref="ConfigureSessions"/>.
/// </summary>
public class GrainClusterFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    public string DataFolder { get; } = RepositoryPaths.NewTempFolder("grains");

    public string DatabasePath => Path.Combine(DataFolder, "sessions.db");

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed.");

    public IClusterClient Client => Cluster.Client;

    /// <summary>The session rules every silo of this fixture runs with.</summary>
    public SessionRules Sessions { get; } = new()
    {
        MaxValueBytes = 1024,
        MaxSessionBytes = 4096,
        MaxKeys = 10,
    };

    public async Task InitializeAsync()
    {
        ConfigureSessions(Sessions);
        var validation = new SessionRulesValidator().Validate(null, Sessions);
        if (validation.Failed) throw new InvalidOperationException(validation.FailureMessage);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(Options.Create(Sessions));
            silo.Services.AddSessionGrainServices();
            silo.Services.AddSqliteSessionStorage(DatabasePath);
            ConfigureSilo(silo);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaves litter in the temp folder.
        }
    }

    /// <summary>Adds to the silo's configuration, after the fixture's own.</summary>
    protected virtual void ConfigureSilo(ISiloBuilder silo)
    {
    }

    /// <summary>Adjusts the session rules before the silo starts.</summary>
    protected virtual void ConfigureSessions(SessionRules sessions)
    {
    }

    public ISessionGrain Session(string id) => Client.GetGrain<ISessionGrain>(id);

    /// <summary>A fresh, well-formed session id (128 random bits, base64url), as the front end makes them.</summary>
    public static string NewSessionId() => SessionTokens.NewId();

    /// <summary>A new session with the given data (key to JSON text); fails the test unless it is created.</summary>
    public async Task<ISessionGrain> CreateSession(IReadOnlyDictionary<string, string>? data = null, TimeSpan? idleTimeout = null)
    {
        var session = Session(NewSessionId());
        var reply = await session.Create(new SessionCreation(data ?? new Dictionary<string, string>(), idleTimeout, null, null));
        Assert.True(reply.Succeeded, reply.Failure?.Detail);
        return session;
    }

    /// <summary>The revision of the session's record in the SQLite file, read past the grain; null when there is no record.</summary>
    public async Task<long?> StoredRevision(ISessionGrain session) =>
        await OnRow(session, "SELECT value FROM session_field WHERE id = $id AND name = 'r'") as long?;

    /// <summary>The session's state as stored in the SQLite file, read past the grain; null when there is no record.</summary>
    public async Task<SessionState?> StoredState(ISessionGrain session)
    {
        var stored = await Cluster.Silos[0].ServiceProvider.GetRequiredService<ISessionStore>().Read(session.GetGrainId());
        return stored.Revision == 0 ? null : stored.State;
    }

    /// <summary>Moves the record to another revision past the grain, as a write by another activation of the session would.</summary>
    public Task ReplaceStoredRevision(ISessionGrain session) =>
        OnRow(session, "UPDATE session_field SET value = value + 1000 WHERE id = $id AND name = 'r'");

    /// <summary>The session's stored rows as they are now, to be put back later by <see cref="PutBackStoredRows"/>.</summary>
    public async Task<IReadOnlyList<(string Name, object Value)>> StoredRows(ISessionGrain session)
    {
        await using var connection = await Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, value FROM session_field WHERE id = $id";
        command.Parameters.AddWithValue("$id", session.GetPrimaryKeyString());
        var rows = new List<(string, object)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetValue(1)));
        return rows;
    }

    /// <summary>
    /// Replaces the session's stored rows with <paramref name="rows"/>, past the grain: storage goes back to an earlier
    /// revision, as after a Redis failover that promoted a replica without the latest writes.
    /// </summary>
    public async Task PutBackStoredRows(ISessionGrain session, IReadOnlyList<(string Name, object Value)> rows)
    {
        await using var connection = await Open();
        await using var transaction = connection.BeginTransaction();
        await using (var delete = connection.CreateCommand())
        {
            delete.CommandText = "DELETE FROM session_field WHERE id = $id";
            delete.Parameters.AddWithValue("$id", session.GetPrimaryKeyString());
            await delete.ExecuteNonQueryAsync();
        }
        foreach (var (name, value) in rows)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO session_field (id, name, value) VALUES ($id, $name, $value)";
            insert.Parameters.AddWithValue("$id", session.GetPrimaryKeyString());
            insert.Parameters.AddWithValue("$name", name);
            insert.Parameters.AddWithValue("$value", value);
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    private async Task<SqliteConnection> Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private async Task<object?> OnRow(ISessionGrain session, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", session.GetPrimaryKeyString());
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return await command.ExecuteScalarAsync();
    }
}
