using Microsoft.Data.Sqlite;

namespace SessionGrains.Grains.Storage;

// The writer's side: one connection for the writer's lifetime, each statement prepared once.
public sealed partial class SqliteGrainStorage
{
    /// <summary>
    /// The writer's one connection, open for its lifetime, and its commands by SQL text: each statement is parsed once,
    /// not once per write (parsing and planning were a few percent of a standalone write).
    /// </summary>
    private sealed class WriterBatch(SqliteConnection connection) : IAsyncDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
        private SqliteTransaction? _transaction;

        /// <summary>The command for <paramref name="sql"/> in the current transaction, without parameters; not to be disposed.</summary>
        public SqliteCommand Command(string sql)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                _commands.Add(sql, command);
            }
            command.Transaction = _transaction;
            command.Parameters.Clear();
            return command;
        }

        /// <summary>Applies the batch in one transaction; returns, per write, the conflict that refused it or null.</summary>
        public async Task<Exception?[]> Commit(List<PendingWrite> batch)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            _transaction = transaction;
            try
            {
                var outcomes = new Exception?[batch.Count];
                // Each write checks its condition first and changes nothing when refused, so one refusal spoils no other write.
                for (var i = 0; i < batch.Count; i++) outcomes[i] = await batch[i].Apply(this);
                await transaction.CommitAsync();
                return outcomes;
            }
            finally
            {
                _transaction = null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var command in _commands.Values) await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
