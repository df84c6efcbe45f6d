using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Configuration;
using SessionGrains.Interfaces;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// Group commit across sessions: the session writes of one silo to one Redis primary go out as one script call for
/// many sessions. At most <see cref="InFlight"/> calls are in flight; the writes that arrive meanwhile wait for the next
/// call and share it. A write on an idle connection goes out at once, alone. Each session's write in the call is checked
/// and applied on its own (its revision, its fields, its expiry), exactly as <see cref="RedisSessionStore"/>'s single
/// write: one refused revision refuses that session's write, not the others'. A call that fails fails every write in it,
/// and each may have been stored all the same, as a single write that fails (the session grain counts on neither).
/// <para>
/// With replica acks, a call is one write of a <see cref="ReplicaAckRounds"/> round: the round's <c>WAIT</c> confirms
/// every session in it. The slot is free again once the script answered, so the next call can join the next round
/// while this one's <c>WAIT</c> waits. Only for one primary: in a Redis Cluster the sessions of one call would be in
/// different slots.
/// </para>
/// </summary>
public sealed class RedisWriteBatches(ReplicaAckRounds rounds)
{
    /// <summary>The setting that turns batches off (<c>false</c>: one script call per session write, as before).</summary>
    public const string EnabledKey = "Storage:BatchWrites";

    /// <summary>Calls in flight: with two, a write rarely waits to share one (docs/BENCHMARKS.md); with one, it waits at most for one call.</summary>
    private const int InFlight = 1;

    /// <summary>Most sessions in one call, and about the most arguments: a large write goes alone, and no call holds Redis long.</summary>
    private const int MaxWrites = 64;
    private const int MaxArguments = 8192;

    /// <summary>Most arguments one HSET or HDEL of the script unpacks (Lua's stack allows about 8,000).</summary>
    private const int Chunk = 2000;

    // KEYS: the sessions' hashes. ARGV, per session: the count n of its arguments, then its n arguments: expected
    // revision, new revision, expiry (unix ms; empty: the key's expiry stands), f fields to set, f name/value pairs, the
    // names to delete. The revision is set with the first chunk of fields: one HSET for both. Answers 1 (stored) or 0
    // (the stored revision was another: nothing changed) per session.
    private static readonly string Script = $$"""
        local out = {}
        local a = 1
        for k = 1, #KEYS do
          local key = KEYS[k]
          local stop = a + tonumber(ARGV[a])
          local base = a + 1
          if (redis.call('HGET', key, 'r') or '0') ~= ARGV[base] then
            out[k] = 0
          else
            local last = base + 3 + 2 * tonumber(ARGV[base + 3])
            local i = base + 4
            local j = math.min(i + {{Chunk - 1}}, last)
            redis.call('HSET', key, 'r', ARGV[base + 1], unpack(ARGV, i, j))
            i = j + 1
            while i <= last do
              j = math.min(i + {{Chunk - 1}}, last)
              redis.call('HSET', key, unpack(ARGV, i, j))
              i = j + 1
            end
            while i <= stop do
              j = math.min(i + {{Chunk - 1}}, stop)
              redis.call('HDEL', key, unpack(ARGV, i, j))
              i = j + 1
            end
            if ARGV[base + 2] ~= '' then redis.call('PEXPIREAT', key, ARGV[base + 2]) end
            out[k] = 1
          end
          a = stop + 1
        end
        return out
        """;

    /// <summary>The script's SHA1, for EVALSHA (the client would otherwise hash the whole text on every call).</summary>
    private static readonly byte[] ScriptHash = System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(Script));

    /// <summary>The WAIT rounds its calls join with replica acks (single writes share them).</summary>
    public ReplicaAckRounds Rounds => rounds;

    /// <summary>Whether to batch: unless <c>Storage:BatchWrites</c> is false.</summary>
    public static bool Enabled(IConfiguration configuration) => configuration.GetValue(EnabledKey, true);

    private static readonly Meter Meter = new(TelemetryNames.Meter);
    private static readonly Histogram<int> WritesPerCall = Meter.CreateHistogram<int>("sessiongrains.storage.writes_per_call", "{write}",
        "Session writes carried by one Redis script call (group commit across sessions)", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });

    private readonly Lock _lock = new();
    private List<Pending> _waiting = [];
    private int _sending;

    /// <summary>
    /// Stores one session's write (<paramref name="args"/> as <see cref="RedisSessionStore"/> builds them) on
    /// <paramref name="redis"/>'s primary, waiting for <paramref name="min"/> replicas. Answers whether it was stored
    /// (false: the stored revision was another) and how many replicas confirmed it (-1: the connection changed meanwhile).
    /// </summary>
    public Task<(bool Stored, long Confirmed)> Write(IConnectionMultiplexer redis, RedisKey key, RedisValue[] args, int min)
    {
        var pending = new Pending(redis, key, args, min);
        List<Pending>? batch = null;
        lock (_lock)
        {
            _waiting.Add(pending);
            if (_sending < InFlight) batch = Take();
        }
        if (batch is not null) _ = Send(batch);
        return pending.Done.Task;
    }

    /// <summary>The writes for the next call (under the lock): as many waiting ones as fit, in arrival order.</summary>
    private List<Pending> Take()
    {
        _sending++;
        var arguments = 0;
        var count = 0;
        var first = _waiting[0];
        while (count < _waiting.Count && count < MaxWrites && _waiting[count].SameCall(first))
        {
            arguments += _waiting[count].Args.Length + 1;
            if (count > 0 && arguments > MaxArguments) break;
            count++;
        }
        List<Pending> batch;
        if (count == _waiting.Count)
        {
            batch = _waiting;
            _waiting = [];
        }
        else
        {
            batch = _waiting.GetRange(0, count);
            _waiting.RemoveRange(0, count);
        }
        return batch;
    }

    /// <summary>
    /// Calls while writes wait. After each call the next one goes out before this one's writes are completed (their
    /// callers' continuations may run on this thread).
    /// </summary>
    private async Task Send(List<Pending> batch)
    {
        var call = Call(batch);
        while (true)
        {
            var outcome = await call;
            List<Pending>? next = null;
            lock (_lock)
            {
                _sending--;
                if (_waiting.Count > 0) next = Take();
            }
            if (next is not null) call = Call(next);
            Finish(batch, outcome);
            if (next is null) return;
            batch = next;
        }
    }

    private static void Finish(List<Pending> batch, Outcome outcome)
    {
        if (outcome.Failed is { } failed)
        {
            _ = outcome.Confirmed?.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            foreach (var pending in batch) pending.Done.TrySetException(failed);
        }
        else if (outcome.Confirmed is null) Complete(batch, outcome.Stored!, 0);
        else
        {
            var stored = outcome.Stored!;
            _ = outcome.Confirmed.ContinueWith(t => Complete(batch, stored, t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>What one call answered: each session's result, the round's confirmation (with acks), or why it failed.</summary>
    private readonly record struct Outcome(RedisResult[]? Stored, Task<long>? Confirmed, Exception? Failed);

    /// <summary>One script call for <paramref name="batch"/>; returns once the script answered, and never throws.</summary>
    private async Task<Outcome> Call(List<Pending> batch)
    {
        Task<long>? confirmed = null;
        try
        {
            var keys = new RedisKey[batch.Count];
            var length = batch.Count;
            for (var i = 0; i < batch.Count; i++) length += batch[i].Args.Length;
            var args = new RedisValue[length];
            var at = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                keys[i] = batch[i].Key;
                var own = batch[i].Args;
                args[at++] = own.Length;
                own.CopyTo(args, at);
                at += own.Length;
            }
            WritesPerCall.Record(batch.Count);
            var (redis, min) = (batch[0].Redis, batch[0].Min);
            var db = redis.GetDatabase();
            RedisResult result;
            if (min == 0)
            {
                try
                {
                    result = await db.ScriptEvaluateAsync(ScriptHash, keys, args).ConfigureAwait(false);
                }
                catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
                {
                    // The server does not have the script (restarted, failed over, flushed; nothing ran): its text loads it.
                    result = await db.ScriptEvaluateAsync(Script, keys, args).ConfigureAwait(false);
                }
            }
            else
            {
                // By its text, as a single write with acks does.
                var node = RedisSessionStore.PrimaryOf(redis, keys[0]);
                (var write, confirmed) = rounds.Send(node, () => db.ScriptEvaluateAsync(Script, keys, args, CommandFlags.DemandMaster), min);
                result = await write.ConfigureAwait(false);
            }
            return new Outcome((RedisResult[])result!, confirmed, null);
        }
        catch (Exception ex)
        {
            return new Outcome(null, confirmed, ex);
        }
    }

    private static void Complete(List<Pending> batch, RedisResult[] stored, Task<long> confirmed)
    {
        if (confirmed.IsCompletedSuccessfully) Complete(batch, stored, confirmed.Result);
        else foreach (var pending in batch) pending.Done.TrySetException(confirmed.Exception!.InnerException!);
    }

    private static void Complete(List<Pending> batch, RedisResult[] stored, long confirmed)
    {
        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(((int)stored[i] == 1, confirmed));
    }

    private sealed class Pending(IConnectionMultiplexer redis, RedisKey key, RedisValue[] args, int min)
    {
        public IConnectionMultiplexer Redis { get; } = redis;
        public RedisKey Key { get; } = key;
        public RedisValue[] Args { get; } = args;
        public int Min { get; } = min;
        public TaskCompletionSource<(bool Stored, long Confirmed)> Done { get; } = new();

        /// <summary>Whether this write may share a call with <paramref name="other"/>: the same connection, the same acks.</summary>
        public bool SameCall(Pending other) => ReferenceEquals(Redis, other.Redis) && Min == other.Min;
    }
}
