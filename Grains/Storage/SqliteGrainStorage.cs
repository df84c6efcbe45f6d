using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace SessionGrains.Grains.Storage;

/// <summary>
/// Durable grain storage in one SQLite file, with ETag checks like Orleans' own providers; session grains keep their
/// state here field by field (<see cref="ISessionStore"/>, SqliteGrainStorage.Sessions.cs).
/// All writes go through one writer that commits whatever is queued in one transaction (group commit):
/// a write completes only after its transaction is on disk (WAL, synchronous=FULL).
/// </summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, ISessionStore, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly string _name;
    private readonly SqliteStorageOptions _options;
    private readonly IGrainStorageSerializer _serializer;
    private readonly TimeProvider _clock;
    private readonly ILogger<SqliteGrainStorage> _logger;
    private readonly SessionRecord? _record;
    private readonly Channel<PendingWrite> _writes;
    private readonly CancellationTokenSource _stopping = new();
    private string _connectionString = "";
    private Task _writer = Task.CompletedTask;
    private Task _purger = Task.CompletedTask;
    private int _closed;

    public SqliteGrainStorage(string name, SqliteStorageOptions options, IGrainStorageSerializer serializer, TimeProvider clock, ILogger<SqliteGrainStorage> logger,
        SessionRecord? record = null)
    {
        _record = record;
        _name = name;
        _options = options;
        _serializer = serializer;
        _clock = clock;
        _logger = logger;
        _writes = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.MaxQueuedWrites) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(SqliteGrainStorage)}-{_name}", ServiceLifecycleStage.ApplicationServices, Open, Close);

    /// <summary>Creates the file and table if needed and starts the writer; the silo calls it at start-up.</summary>
    public async Task Open(CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(_options.FilePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();

        await using var connection = await OpenConnection(cancellationToken);
        await Execute(connection, """
            PRAGMA journal_mode = WAL;
            -- A rowid table: states are often larger than the ~200 bytes WITHOUT ROWID suits.
            CREATE TABLE IF NOT EXISTS grain_state (
                grain_id    TEXT    NOT NULL,
                state_name  TEXT    NOT NULL,
                etag        TEXT    NOT NULL,
                payload     BLOB    NOT NULL,
                purge_after INTEGER NULL,
                PRIMARY KEY (grain_id, state_name)
            );
            CREATE INDEX IF NOT EXISTS grain_state_purge ON grain_state (purge_after) WHERE purge_after IS NOT NULL;
            """ + SessionTables, cancellationToken);
        LogOpened(path);
        _writer = Task.Run(WriteLoop, CancellationToken.None);
        _purger = Task.Run(PurgeLoop, CancellationToken.None);
    }

    /// <summary>Lets queued writes finish and stops the writer; safe to call more than once.</summary>
    public async Task Close(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _writes.Writer.TryComplete();
            await _stopping.CancelAsync();
        }
        await Task.WhenAll(_writer, _purger).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var connection = await OpenConnection(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT etag, payload FROM grain_state WHERE grain_id = $id AND state_name = $name";
        command.Parameters.AddWithValue("$id", grainId.ToString());
        command.Parameters.AddWithValue("$name", stateName);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        var payload = (byte[])reader.GetValue(1);
        grainState.State = _serializer.Deserialize<T>(new BinaryData(payload));
        grainState.ETag = reader.GetString(0);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // 64 random bits: a writer holding an older tag is refused; a short tag keeps every session activation small.
        var newETag = Random.Shared.NextInt64().ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var purgeAfter = grainState.State is IExpiringState { PurgeAfter: { } at } ? at.ToUnixTimeMilliseconds() : (long?)null;
        var id = grainId.ToString();
        var expected = grainState.ETag;
        var payload = _serializer.Serialize(grainState.State).ToArray();
        await Enqueue(async batch =>
        {
            var command = batch.Command(expected is null
                ? """
                  INSERT INTO grain_state (grain_id, state_name, etag, payload, purge_after)
                  VALUES ($id, $name, $new, $payload, $purge) ON CONFLICT DO NOTHING
                  """
                : """
                  UPDATE grain_state SET etag = $new, payload = $payload, purge_after = $purge
                  WHERE grain_id = $id AND state_name = $name AND etag = $old
                  """);
            Bind(command, id, stateName, expected);
            command.Parameters.AddWithValue("$new", newETag);
            command.Parameters.AddWithValue("$payload", payload);
            command.Parameters.AddWithValue("$purge", (object?)purgeAfter ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync() == 0 ? Conflict(id, expected) : null;
        });
        grainState.ETag = newETag;
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is { } expected)
        {
            var id = grainId.ToString();
            await Enqueue(async batch =>
            {
                var command = batch.Command("DELETE FROM grain_state WHERE grain_id = $id AND state_name = $name AND etag = $old");
                Bind(command, id, stateName, expected);
                return await command.ExecuteNonQueryAsync() == 0 ? Conflict(id, expected) : null;
            });
        }
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    public async ValueTask DisposeAsync() => await Close(CancellationToken.None);

    /// <summary>
    /// Queues <paramref name="apply"/> for the writer, which runs it inside the next batch's transaction; completes once
    /// that transaction is on disk, or fails with the exception <paramref name="apply"/> answered (its statements then
    /// changed nothing that matters: a refused conditional write) or with the batch's failure.
    /// </summary>
    private Task Enqueue(Func<WriterBatch, Task<Exception?>> apply)
    {
        var write = new PendingWrite(apply);
        if (_writes.Writer.TryWrite(write)) return write.Done.Task;
        if (Volatile.Read(ref _closed) != 0) throw new InvalidOperationException($"Grain storage '{_name}' is closed.");
        // Full: the disk is behind. Refusing now keeps memory bounded and tells the client to come back (503, Retry-After);
        // an OrleansException reaches the front end as a storage failure of a known type.
        throw new OrleansException($"Grain storage '{_name}' has {_options.MaxQueuedWrites} writes waiting; try again later.");
    }

    private async Task WriteLoop()
    {
        var batch = new List<PendingWrite>(_options.MaxBatch);
        WriterBatch? writer = null;
        try
        {
            while (await _writes.Reader.WaitToReadAsync())
            {
                while (batch.Count < _options.MaxBatch && _writes.Reader.TryRead(out var write)) batch.Add(write);
                try
                {
                    writer ??= new WriterBatch(await OpenConnection(CancellationToken.None));
                    var outcomes = await writer.Commit(batch);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        if (outcomes[i] is { } failure) batch[i].Done.TrySetException(failure);
                        else batch[i].Done.TrySetResult();
                    }
                }
                catch (Exception ex)
                {
                    LogBatchFailed(ex, batch.Count);
                    foreach (var write in batch) write.Done.TrySetException(ex);
                    // The next batch starts on a fresh connection, whatever state this failure left behind.
                    if (writer is not null) await writer.DisposeAsync();
                    writer = null;
                }
                batch.Clear();
            }
        }
        finally
        {
            if (writer is not null) await writer.DisposeAsync();
        }
    }

    private static void Bind(SqliteCommand command, string id, string stateName, string? expectedETag)
    {
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$name", stateName);
        command.Parameters.AddWithValue("$old", (object?)expectedETag ?? DBNull.Value);
    }

    private Exception Conflict(string id, string? expected) =>
        new InconsistentStateException($"Grain storage '{_name}': the stored ETag of {id} is not {expected ?? "(none)"}.", "unknown", expected ?? "(none)");

    private async Task<SqliteConnection> OpenConnection(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await Execute(connection, "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;", cancellationToken);
        return connection;
    }

    private static async Task Execute(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed class PendingWrite(Func<WriterBatch, Task<Exception?>> apply)
    {
        public Func<WriterBatch, Task<Exception?>> Apply { get; } = apply;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Grain storage is the SQLite file {Path}")]
    private partial void LogOpened(string path);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "A batch of {Count} grain state writes failed")]
    private partial void LogBatchFailed(Exception ex, int count);
}
