using Microsoft.Extensions.Logging;

namespace SessionGrains.Grains.Storage;

// Purging: records whose purge time has passed are deleted on a timer, so abandoned state does not pile up.
public sealed partial class SqliteGrainStorage
{
    private async Task PurgeLoop()
    {
        using var timer = new PeriodicTimer(_options.PurgeInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await using var connection = await OpenConnection(_stopping.Token);
                    await using var command = connection.CreateCommand();
                    command.CommandText = "DELETE FROM grain_state WHERE purge_after IS NOT NULL AND purge_after < $now";
                    command.Parameters.AddWithValue("$now", _clock.GetUtcNow().ToUnixTimeMilliseconds());
                    var purged = await command.ExecuteNonQueryAsync(_stopping.Token);
                    if (purged > 0) LogPurged(purged);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPurgeFailed(ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Purged {Count} expired grain states")]
    private partial void LogPurged(int count);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Purging expired grain states failed")]
    private partial void LogPurgeFailed(Exception ex);
}
