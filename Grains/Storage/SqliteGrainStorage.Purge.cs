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
                    var purged = 0;
                    var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
                    // Through the writer, in its transaction: a session's record and its fields go together, never one
                    // without the other while a write of the same session runs.
                    await Enqueue(async batch =>
                    {
                        var command = batch.Command("""
                            DELETE FROM grain_state WHERE purge_after IS NOT NULL AND purge_after < $now;
                            DELETE FROM session_field WHERE id IN (SELECT id FROM session_record WHERE purge_after IS NOT NULL AND purge_after < $now);
                            DELETE FROM session_record WHERE purge_after IS NOT NULL AND purge_after < $now;
                            """);
                        command.Parameters.AddWithValue("$now", now);
                        purged = await command.ExecuteNonQueryAsync();
                        return null;
                    });
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

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Purged {Count} rows of expired grain states and sessions")]
    private partial void LogPurged(int count);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Purging expired grain states failed")]
    private partial void LogPurgeFailed(Exception ex);
}
