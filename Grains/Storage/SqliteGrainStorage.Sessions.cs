using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SessionGrains.Grains.Storage;

// Sessions in the field layout (SessionRecord): a row per session with its revision and purge time, and a row per field.
// A write runs in the writer's batch transaction like every other write, so the writes of many sessions share one fsync.
public sealed partial class SqliteGrainStorage
{
    private const string SessionTables = """

        CREATE TABLE IF NOT EXISTS session_record (
            id          TEXT    NOT NULL PRIMARY KEY,
            revision    INTEGER NOT NULL,
            purge_after INTEGER NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS session_record_purge ON session_record (purge_after) WHERE purge_after IS NOT NULL;
        CREATE TABLE IF NOT EXISTS session_field (
            id    TEXT NOT NULL,
            name  TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (id, name)
        ) WITHOUT ROWID;
        """;

    private SessionRecord Record => _record ?? throw new InvalidOperationException($"Grain storage '{_name}' was made without a session record codec.");

    public async Task<StoredSession> Read(GrainId session)
    {
        var id = session.Key.ToString()!;
        long revision = 0;
        var fields = new List<KeyValuePair<string, ReadOnlyMemory<byte>>>();
        await using (var connection = await OpenConnection(CancellationToken.None))
        {
            await using var command = connection.CreateCommand();
            // One statement, one snapshot: the revision and the fields of the same committed write.
            command.CommandText = """
                SELECT r.revision, f.name, f.value FROM session_record r LEFT JOIN session_field f ON f.id = r.id WHERE r.id = $id
                """;
            command.Parameters.AddWithValue("$id", id);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                revision = reader.GetInt64(0);
                if (!reader.IsDBNull(1)) fields.Add(new(reader.GetString(1), (byte[])reader.GetValue(2)));
            }
        }
        if (revision == 0) return await EarlierLayout.Convert(this, this, session, await EarlierLayout.Read(this, session));
        return Record.Read(fields) is { } state ? new StoredSession(state, revision) : StoredSession.None;
    }

    public async Task<long> Write(GrainId session, long revision, SessionState stored, SessionState next)
    {
        var id = session.Key.ToString()!;
        var delta = Record.Diff(stored, next);
        var written = revision + 1;
        object purgeAfter = delta.PurgeAfter is { } at ? at.ToUnixTimeMilliseconds() : DBNull.Value;
        await Enqueue(async (connection, transaction) =>
        {
            await using (var record = Command(connection, transaction, revision == 0
                ? "INSERT INTO session_record (id, revision, purge_after) VALUES ($id, $new, $purge) ON CONFLICT DO NOTHING"
                : "UPDATE session_record SET revision = $new, purge_after = $purge WHERE id = $id AND revision = $old"))
            {
                record.Parameters.AddWithValue("$id", id);
                record.Parameters.AddWithValue("$old", revision);
                record.Parameters.AddWithValue("$new", written);
                record.Parameters.AddWithValue("$purge", purgeAfter);
                if (await record.ExecuteNonQueryAsync() == 0)
                    return new Orleans.Storage.InconsistentStateException($"Session {id} is no longer at revision {revision}.", "unknown", revision.ToString(CultureInfo.InvariantCulture));
            }
            if (delta.Fields.Count > 0)
            {
                await using var set = Command(connection, transaction,
                    "INSERT INTO session_field (id, name, value) VALUES ($id, $name, $value) ON CONFLICT (id, name) DO UPDATE SET value = excluded.value");
                set.Parameters.AddWithValue("$id", id);
                var name = set.Parameters.Add("$name", SqliteType.Text);
                var value = set.Parameters.Add("$value", SqliteType.Blob);
                foreach (var (field, bytes) in delta.Fields)
                {
                    name.Value = field;
                    value.Value = bytes;
                    await set.ExecuteNonQueryAsync();
                }
            }
            if (delta.Deleted.Count > 0)
            {
                await using var delete = Command(connection, transaction, "DELETE FROM session_field WHERE id = $id AND name = $name");
                delete.Parameters.AddWithValue("$id", id);
                var name = delete.Parameters.Add("$name", SqliteType.Text);
                foreach (var field in delta.Deleted)
                {
                    name.Value = field;
                    await delete.ExecuteNonQueryAsync();
                }
            }
            return null;
        });
        return written;
    }

    public Task Clear(GrainId session, long revision)
    {
        var id = session.Key.ToString()!;
        return Enqueue(async (connection, transaction) =>
        {
            await using var record = Command(connection, transaction, "DELETE FROM session_record WHERE id = $id AND revision = $old");
            record.Parameters.AddWithValue("$id", id);
            record.Parameters.AddWithValue("$old", revision);
            if (await record.ExecuteNonQueryAsync() > 0)
            {
                await using var fields = Command(connection, transaction, "DELETE FROM session_field WHERE id = $id");
                fields.Parameters.AddWithValue("$id", id);
                await fields.ExecuteNonQueryAsync();
            }
            return null;
        });
    }
}
