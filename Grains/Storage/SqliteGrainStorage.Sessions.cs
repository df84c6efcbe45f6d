using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SessionGrains.Grains.Storage;

// Sessions in the field layout (SessionRecord): a row per field in session_field, the revision among them (field "r"),
// so that a write touches the pages of one session's rows and nothing else. The purge time lives in session_record,
// rounded up to PurgeStep and written only when the rounded time moves, so most writes do not touch that table or its
// index. A write runs in the writer's batch transaction like every other write: many sessions' writes share one fsync.
public sealed partial class SqliteGrainStorage
{
    private const string RevisionField = "r";

    /// <summary>The purge time is stored rounded up to this step: a record may outlive its purge time by up to a step.</summary>
    public static readonly TimeSpan PurgeStep = TimeSpan.FromMinutes(5);

    private const string SessionTables = """

        CREATE TABLE IF NOT EXISTS session_field (
            id    TEXT NOT NULL,
            name  TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (id, name)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS session_record (
            id          TEXT    NOT NULL PRIMARY KEY,
            purge_after INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS session_record_purge ON session_record (purge_after);
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
            command.CommandText = "SELECT name, value FROM session_field WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var name = reader.GetString(0);
                if (name == RevisionField) revision = reader.GetInt64(1);
                else fields.Add(new(name, (byte[])reader.GetValue(1)));
            }
        }
        if (revision == 0) return await EarlierLayout.Convert(this, this, session, await EarlierLayout.Read(this, session));
        return Record.Read(fields) is { } state ? new StoredSession(state, revision) : StoredSession.None;
    }

    public async Task Write(GrainId session, long revision, long written, SessionState stored, SessionState next)
    {
        var id = session.Key.ToString()!;
        var delta = Record.Diff(stored, next);
        long? purgeAfter = revision == 0 || Rounded(stored.PurgeAfter) != Rounded(next.PurgeAfter) ? Rounded(next.PurgeAfter) : null;
        await Enqueue(async batch =>
        {
            var check = batch.Command(revision == 0
                ? "INSERT INTO session_field (id, name, value) VALUES ($id, 'r', $new) ON CONFLICT DO NOTHING"
                : "UPDATE session_field SET value = $new WHERE id = $id AND name = 'r' AND value = $old");
            check.Parameters.AddWithValue("$id", id);
            check.Parameters.AddWithValue("$old", revision);
            check.Parameters.AddWithValue("$new", written);
            if (await check.ExecuteNonQueryAsync() == 0)
                return new Orleans.Storage.InconsistentStateException($"Session {id} is no longer at revision {revision}.", "unknown", revision.ToString(CultureInfo.InvariantCulture));
            if (delta.Fields.Count > 0)
            {
                var set = batch.Command("INSERT INTO session_field (id, name, value) VALUES ($id, $name, $value) ON CONFLICT (id, name) DO UPDATE SET value = excluded.value");
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
                var delete = batch.Command("DELETE FROM session_field WHERE id = $id AND name = $name");
                delete.Parameters.AddWithValue("$id", id);
                var name = delete.Parameters.Add("$name", SqliteType.Text);
                foreach (var field in delta.Deleted)
                {
                    name.Value = field;
                    await delete.ExecuteNonQueryAsync();
                }
            }
            if (purgeAfter is { } purge)
            {
                var record = batch.Command("INSERT INTO session_record (id, purge_after) VALUES ($id, $purge) ON CONFLICT (id) DO UPDATE SET purge_after = excluded.purge_after");
                record.Parameters.AddWithValue("$id", id);
                record.Parameters.AddWithValue("$purge", purge);
                await record.ExecuteNonQueryAsync();
            }
            return null;
        });
    }

    public Task Clear(GrainId session, long revision)
    {
        var id = session.Key.ToString()!;
        return Enqueue(async batch =>
        {
            var check = batch.Command("DELETE FROM session_field WHERE id = $id AND name = 'r' AND value = $old");
            check.Parameters.AddWithValue("$id", id);
            check.Parameters.AddWithValue("$old", revision);
            if (await check.ExecuteNonQueryAsync() > 0)
            {
                var rest = batch.Command("DELETE FROM session_field WHERE id = $id; DELETE FROM session_record WHERE id = $id");
                rest.Parameters.AddWithValue("$id", id);
                await rest.ExecuteNonQueryAsync();
            }
            return null;
        });
    }

    /// <summary>The purge time as stored: unix milliseconds rounded up to <see cref="PurgeStep"/>; never purged without one.</summary>
    private static long Rounded(DateTimeOffset? purgeAfter)
    {
        if (purgeAfter is not { } at) return long.MaxValue;
        var step = (long)PurgeStep.TotalMilliseconds;
        var ms = at.ToUnixTimeMilliseconds();
        return (ms + step - 1) / step * step;
    }
}
