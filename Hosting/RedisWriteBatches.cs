using System.Text;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// Group commit across sessions: the session writes of one silo to one Redis primary go out as one script call for
/// many sessions. At most <see cref="InFlight"/> calls are in flight; the writes that arrive meanwhile wait for the next
/// call and share it. A write on an idle connection goes out at once, alone. Each session's write in the call is checked
/// and applied on its own (its revision, its fields, its expiry), exactly as <see cref="RedisSessionStore"/>'s single
/// write: one refused revision refuses that session's write, not the others'. A call that fails fails every write in it,
/// and each may have been stored all the same, as a single write that fails (the session grain counts on neither).
/// Only for one primary: in a Redis Cluster the sessions of one call would be in different slots.
/// </summary>
public sealed class RedisWriteBatches
{
    /// <summary>The setting that turns batches off (<c>false</c>: one script call per session write, as before).</summary>
    public const string EnabledKey = "Storage:BatchWrites";

    /// <summary>
    /// Calls in flight at once. One: measured against two and against no batching (docs/BENCHMARKS.md), two calls in
    /// flight rarely find a write waiting, and a write waits at most for the call before its own.
    /// </summary>
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

    /// <summary>Batches unless <c>Storage:BatchWrites</c> is false.</summary>
    public static RedisWriteBatches? Read(IConfiguration configuration) => configuration.GetValue(EnabledKey, true) ? new RedisWriteBatches() : null;

    private readonly Lock _lock = new();
    private List<Pending> _waiting = [];
    private int _sending;

    /// <summary>
    /// Stores one session's write (<paramref name="args"/> as <see cref="RedisSessionStore"/> builds them); true when
    /// stored, false when the stored revision was another.
    /// </summary>
    public Task<bool> Write(IDatabase db, RedisKey key, RedisValue[] args)
    {
        var pending = new Pending(key, args);
        List<Pending>? batch = null;
        lock (_lock)
        {
            _waiting.Add(pending);
            if (_sending < InFlight) batch = Take();
        }
        if (batch is not null) _ = Send(db, batch);
        return pending.Done.Task;
    }

    /// <summary>The writes for the next call (under the lock): as many waiting ones as fit, in arrival order.</summary>
    private List<Pending> Take()
    {
        _sending++;
        var arguments = 0;
        var count = 0;
        while (count < _waiting.Count && count < MaxWrites)
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

    private async Task Send(IDatabase db, List<Pending> batch)
    {
        while (true)
        {
            await Call(db, batch);
            lock (_lock)
            {
                _sending--;
                if (_waiting.Count == 0) return;
                batch = Take();
            }
        }
    }

    /// <summary>One script call for <paramref name="batch"/>; completes every write in it and never throws.</summary>
    private static async Task Call(IDatabase db, List<Pending> batch)
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
        try
        {
            RedisResult result;
            try
            {
                result = await db.ScriptEvaluateAsync(ScriptHash, keys, args).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // The server does not have the script (restarted, failed over, flushed; nothing ran): its text loads it.
                result = await db.ScriptEvaluateAsync(Script, keys, args).ConfigureAwait(false);
            }
            var stored = (RedisResult[])result!;
            for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult((int)stored[i] == 1);
        }
        catch (Exception ex)
        {
            foreach (var pending in batch) pending.Done.TrySetException(ex);
        }
    }

    private sealed class Pending(RedisKey key, RedisValue[] args)
    {
        public RedisKey Key { get; } = key;
        public RedisValue[] Args { get; } = args;
        public TaskCompletionSource<bool> Done { get; } = new();
    }
}
