using System.Globalization;
using System.Text;
using Orleans.Storage;
using SessionGrains.Grains;
using SessionGrains.Grains.Storage;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// Sessions in Redis, one hash per session (<c>{ServiceId}/session/{{id}}</c>; the braces make the id the hash tag, so in
/// a Redis Cluster every command and script of a session touches one slot). The hash holds the fields of
/// <see cref="SessionRecord"/> and the revision <c>r</c>. A write is one script: it checks the revision, sets the
/// changed fields, deletes the dropped ones (trimmed events, lapsed ledger entries, removed keys) and sets the key's
/// expiry to the session's purge time, so a counter increment sends Redis a few hundred bytes whatever the session holds.
/// Writes of many sessions share a call (<see cref="RedisWriteBatches"/>) unless <paramref name="batchWrites"/> is off or
/// Redis is a cluster.
/// <para>
/// With replica acks (<see cref="ReplicaAcks"/>), a write counts as stored only once that many replicas confirmed it:
/// the script goes to the session's primary on a connection of its own (<paramref name="writes"/>; WAIT blocks the
/// connection it runs on, so reads, jobs and user indexes do not share it) and <see cref="ReplicaAckRounds"/> follows it
/// with a <c>WAIT numreplicas timeout</c> on that connection, one WAIT covering every script sent before it.
/// </para>
/// </summary>
public sealed class RedisSessionStore(Task<IConnectionMultiplexer> connection, Func<Task<IConnectionMultiplexer>> writes, ReplicaAcks acks, string serviceId,
    SessionRecord record, IGrainStorage? earlier, TimeProvider clock, TimeSpan fallbackLifetime, bool batchWrites) : ISessionStore
{
    private const string RevisionField = "r";

    /// <summary>How often the topology is looked at again when <c>Storage:MinReplicaAcks</c> is left to it.</summary>
    private const long TopologyCheckMilliseconds = 5000;

    // One set of WAIT rounds for single and batched writes: the batches send their calls through it.
    private readonly RedisWriteBatches _batches = new(new ReplicaAckRounds(acks.Timeout));

    private int _topologyAcks;
    private bool _clustered;
    private long _topologySeenAt;

    /// <summary>Most arguments one HSET or HDEL of the script unpacks (Lua's stack allows about 8,000).</summary>
    private const int Chunk = 2000;

    // ARGV: expected revision, new revision, expiry (unix ms; empty: the key's expiry stands), n fields to set, n
    // name/value pairs, then names to delete. The revision is set with the first chunk of fields: one HSET for both.
    private static readonly string WriteScript = $$"""
        if (redis.call('HGET', KEYS[1], 'r') or '0') ~= ARGV[1] then return 0 end
        local last = 4 + 2 * tonumber(ARGV[4])
        local j = math.min({{4 + Chunk}}, last)
        redis.call('HSET', KEYS[1], 'r', ARGV[2], unpack(ARGV, 5, j))
        local i = j + 1
        while i <= last do
          j = math.min(i + {{Chunk - 1}}, last)
          redis.call('HSET', KEYS[1], unpack(ARGV, i, j))
          i = j + 1
        end
        while i <= #ARGV do
          j = math.min(i + {{Chunk - 1}}, #ARGV)
          redis.call('HDEL', KEYS[1], unpack(ARGV, i, j))
          i = j + 1
        end
        if ARGV[3] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
        return 1
        """;

    /// <summary>
    /// The write script's SHA1, for EVALSHA: given the script's text, the client looks it up in its cache of loaded
    /// scripts by a hash of the whole text on every call, a measurable share of a write (docs/BENCHMARKS.md).
    /// </summary>
    private static readonly byte[] WriteScriptHash = System.Security.Cryptography.SHA1.HashData(Encoding.UTF8.GetBytes(WriteScript));

    /// <summary>The write script for a Redis Cluster node: on success it answers with the node's id.</summary>
    private static readonly string ClusterWriteScript = WriteScript.Replace("return 1", "return redis.call('CLUSTER', 'MYID')", StringComparison.Ordinal);

    private const string ClearScript = """
        if (redis.call('HGET', KEYS[1], 'r') or '0') ~= ARGV[1] then return 0 end
        return redis.call('DEL', KEYS[1])
        """;

    /// <summary>The key of a session's hash.</summary>
    public static RedisKey KeyOf(string serviceId, string sessionId) => $"{serviceId}/session/{{{sessionId}}}";

    public async Task<StoredSession> Read(GrainId session)
    {
        var entries = await (await connection).GetDatabase().HashGetAllAsync(Key(session));
        // The earlier layout is looked at only when there is no record in this one: sessions last written before the
        // upgrade (converted here), and ids never stored. A front end's store has none (it only creates sessions).
        if (entries.Length > 0 || earlier is null) return Parse(entries);
        return await EarlierLayout.Convert(this, earlier, session, await EarlierLayout.Read(earlier, session));
    }

    private StoredSession Parse(HashEntry[] entries)
    {
        long revision = 0;
        var fields = new List<KeyValuePair<string, ReadOnlyMemory<byte>>>(entries.Length);
        foreach (var entry in entries)
        {
            var name = (string)entry.Name!;
            if (name == RevisionField) revision = (long)entry.Value;
            else fields.Add(new(name, (byte[])entry.Value!));
        }
        return record.Read(fields) is { } state && revision > 0 ? new StoredSession(state, revision) : StoredSession.None;
    }

    public async Task Write(GrainId session, long revision, long written, SessionState stored, SessionState next)
    {
        var delta = record.Diff(stored, next);
        var args = new RedisValue[4 + 2 * delta.Fields.Count + delta.Deleted.Count];
        args[0] = revision;
        args[1] = written;
        args[2] = ExpiryToSet(revision, stored, next) is { } expiry ? expiry.ToUnixTimeMilliseconds() : RedisValue.EmptyString;
        args[3] = delta.Fields.Count;
        var at = 4;
        // Indexed: the lists' enumerators would be boxed through their interface on every write.
        for (var i = 0; i < delta.Fields.Count; i++)
        {
            args[at++] = delta.Fields[i].Key;
            args[at++] = delta.Fields[i].Value;
        }
        for (var i = 0; i < delta.Deleted.Count; i++) args[at++] = delta.Deleted[i];
        var shared = await connection;
        var min = AcksFor(shared);
        if (!_clustered && batchWrites)
        {
            var (isStored, count) = await _batches.Write(min == 0 ? shared : await writes(), Key(session), args, min);
            if (!isStored) Check(0, session, revision);
            if (min > 0) Confirmed(count, min, session, written);
            return;
        }
        if (min == 0)
        {
            var db = shared.GetDatabase();
            RedisKey[] keys = [Key(session)];
            RedisResult result;
            try
            {
                result = await db.ScriptEvaluateAsync(WriteScriptHash, keys, args);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // The server does not have the script (restarted, failed over, flushed; nothing ran): its text loads it.
                result = await db.ScriptEvaluateAsync(WriteScript, keys, args);
            }
            Check((int)result, session, revision);
            return;
        }
        Confirmed(await WriteAndWait(await writes(), session, revision, args, min), min, session, written);
    }

    /// <summary>Throws unless <paramref name="count"/> replicas (-1: the connection changed meanwhile) are enough.</summary>
    private void Confirmed(long count, int min, GrainId session, long written)
    {
        if (count < 0)
            throw new WriteNotReplicatedException($"Session {session.Key}: the connection to its primary changed while the write waited for replicas.");
        if (count < min)
            throw new WriteNotReplicatedException($"Session {session.Key} revision {written}: {count} of {min} replica(s) confirmed it within {acks.Timeout.TotalMilliseconds:F0} ms.");
    }

    /// <summary>
    /// The script, then a WAIT on the connection to the session's primary (<see cref="ReplicaAckRounds"/>: one WAIT covers
    /// every script sent to that node before it). In a Redis Cluster the script answers with the id of the node that ran
    /// it: the write counts as confirmed only when that is the node the WAIT asked (a redirect elsewhere fails the check).
    /// </summary>
    private async Task<long> WriteAndWait(IConnectionMultiplexer redis, GrainId session, long revision, RedisValue[] args, int min)
    {
        var key = Key(session);
        var node = PrimaryOf(redis, key);
        var clustered = _clustered;
        // The client's own view of the cluster (from CLUSTER NODES, which it reads anyway) names the node.
        var nodeId = clustered ? node.ClusterConfiguration?[node.EndPoint]?.NodeId : null;
        var db = redis.GetDatabase();
        var script = clustered ? ClusterWriteScript : WriteScript;
        var (write, confirmed) = _batches.Rounds.Send(node, () => db.ScriptEvaluateAsync(script, [key], args, CommandFlags.DemandMaster), min);
        try
        {
            var result = await write;
            if (result.Resp2Type == ResultType.Integer) Check((int)result, session, revision);
            if (clustered && (nodeId is null || (string?)result != nodeId))
                throw new WriteNotReplicatedException($"Session {session.Key}: its primary changed while the write waited for replicas.");
        }
        catch
        {
            _ = confirmed.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
            throw;
        }
        return await confirmed;
    }

    /// <summary>The primary that holds the session's key; none (a primary died, no replica took over yet) is storage unavailable.</summary>
    internal static IServer PrimaryOf(IConnectionMultiplexer redis, RedisKey key)
    {
        try
        {
            return redis.GetServer(key, null, CommandFlags.DemandMaster);
        }
        catch (InvalidOperationException ex)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.DemandMaster, $"No primary serves {key} now.", ex, CommandStatus.WaitingToBeSent);
        }
    }

    /// <summary>Replicas to wait for: the setting, or what the topology calls for; the topology is looked at again every few seconds.</summary>
    private int AcksFor(IConnectionMultiplexer redis)
    {
        var now = Environment.TickCount64;
        if (_topologySeenAt == 0 || now - _topologySeenAt > TopologyCheckMilliseconds)
        {
            _clustered = redis.GetServers().Any(s => s.ServerType == ServerType.Cluster);
            _topologyAcks = acks.For(redis);
            _topologySeenAt = now;
        }
        return _topologyAcks;
    }

    private static void Check(int result, GrainId session, long revision)
    {
        if (result == 0) throw new InconsistentStateException($"Session {session.Key} is no longer at revision {revision}.", "unknown", revision.ToString(CultureInfo.InvariantCulture));
    }

    public async Task Clear(GrainId session, long revision) =>
        await (await connection).GetDatabase().ScriptEvaluateAsync(ClearScript, [Key(session)], [revision]);

    private RedisKey Key(GrainId session) => KeyOf(serviceId, Encoding.UTF8.GetString(session.Key.AsSpan()));

    /// <summary>
    /// When the key is to expire after this write, or null when the expiry it has stands. The key expires at the record's
    /// purge time rounded up to a step (<see cref="ExpiryStep"/>), never sooner than a minute from now (clock differences).
    /// The purge time moves with every access; rounded, it moves once a step, so most writes leave the expiry alone: the
    /// expiry the stored record's write set is at or after its rounded purge time, which is this one's.
    /// </summary>
    private DateTimeOffset? ExpiryToSet(long revision, SessionState stored, SessionState next)
    {
        var now = clock.GetUtcNow();
        var earliest = now + ExpiringRedisStorage.MinimumTimeToLive;
        if (next.PurgeAfter is not { } purge) return Latest(now + fallbackLifetime, earliest);
        var step = ExpiryStep(next);
        var at = RoundedUp(purge, step);
        if (revision > 0 && stored.PurgeAfter is { } before && RoundedUp(before, ExpiryStep(stored)) == at && at > earliest + step) return null;
        return Latest(at, earliest);
    }

    /// <summary>An eighth of the session's idle timeout, within 1 s to 5 min: how much longer than its purge time a key may live.</summary>
    private static TimeSpan ExpiryStep(SessionState state) =>
        TimeSpan.FromTicks(Math.Clamp(state.IdleTimeout.Ticks / 8, TimeSpan.TicksPerSecond, 5 * TimeSpan.TicksPerMinute));

    private static DateTimeOffset RoundedUp(DateTimeOffset at, TimeSpan step) =>
        new((at.UtcTicks + step.Ticks - 1) / step.Ticks * step.Ticks, TimeSpan.Zero);

    private static DateTimeOffset Latest(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
