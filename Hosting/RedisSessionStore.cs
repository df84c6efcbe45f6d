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
/// <see cref="SessionRecord"/> and the revision <c>r</c>. A write is one script call: it checks the revision, sets the
/// changed fields, deletes the dropped ones (trimmed events, lapsed ledger entries, removed keys) and sets the key's
/// expiry to the session's purge time, so a counter increment sends Redis a few hundred bytes whatever the session holds.
/// <para>
/// With replica acks (<see cref="ReplicaAcks"/>), the script is followed by <c>WAIT numreplicas timeout</c> in one batch on
/// a connection of its own (<paramref name="writes"/>): the write counts as stored only once that many replicas
/// confirmed it. WAIT waits for every write this client connection sent before it, and the batch writes the script and
/// the WAIT back to back to the socket of one server, so the WAIT answers for this write (or a later offset, which
/// covers it). Were the connection lost between the two, both fail: a command already written is never resent on a new
/// connection, where a WAIT would wrongly count replicas of nothing. WAIT blocks that connection while it waits, which
/// is why it is not the one reads, jobs and user indexes use. In a Redis Cluster, see <see cref="WriteAndWaitOnClusterNode"/>.
/// </para>
/// </summary>
public sealed class RedisSessionStore(Task<IConnectionMultiplexer> connection, Func<Task<IConnectionMultiplexer>> writes, ReplicaAcks acks, string serviceId,
    SessionRecord record, IGrainStorage earlier, TimeProvider clock, TimeSpan fallbackLifetime) : ISessionStore
{
    private const string RevisionField = "r";

    /// <summary>How often the topology is looked at again when <c>Storage:MinReplicaAcks</c> is left to it.</summary>
    private const long TopologyCheckMilliseconds = 5000;

    private int _topologyAcks;
    private bool _clustered;
    private long _topologySeenAt;

    /// <summary>Most arguments one HSET or HDEL of the script unpacks (Lua's stack allows about 8,000).</summary>
    private const int Chunk = 2000;

    // ARGV: expected revision, new revision, expiry (unix ms), n fields to set, n name/value pairs, then names to delete.
    private static readonly string WriteScript = $$"""
        if (redis.call('HGET', KEYS[1], 'r') or '0') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'r', ARGV[2])
        local last = 4 + 2 * tonumber(ARGV[4])
        local i = 5
        while i <= last do
          local j = math.min(i + {{Chunk - 1}}, last)
          redis.call('HSET', KEYS[1], unpack(ARGV, i, j))
          i = j + 1
        end
        while i <= #ARGV do
          local j = math.min(i + {{Chunk - 1}}, #ARGV)
          redis.call('HDEL', KEYS[1], unpack(ARGV, i, j))
          i = j + 1
        end
        redis.call('PEXPIREAT', KEYS[1], ARGV[3])
        return 1
        """;

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
        // The record in the earlier layout is asked for in the same round trip; it is there only for sessions last
        // written before the upgrade, and costs Redis a lookup of a missing key otherwise.
        var fresh = (await connection).GetDatabase().HashGetAllAsync(Key(session));
        var old = EarlierLayout.Read(earlier, session);
        var entries = await fresh;
        if (entries.Length == 0) return await EarlierLayout.Convert(this, earlier, session, await old);
        _ = old.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
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

    public async Task<long> Write(GrainId session, long revision, SessionState stored, SessionState next)
    {
        var delta = record.Diff(stored, next);
        var written = revision + 1;
        var args = new RedisValue[4 + 2 * delta.Fields.Count + delta.Deleted.Count];
        args[0] = revision;
        args[1] = written;
        args[2] = ExpiresAt(delta.PurgeAfter).ToUnixTimeMilliseconds();
        args[3] = delta.Fields.Count;
        var at = 4;
        foreach (var (name, value) in delta.Fields)
        {
            args[at++] = name;
            args[at++] = value;
        }
        foreach (var name in delta.Deleted) args[at++] = name;
        var shared = await connection;
        var min = AcksFor(shared);
        if (min == 0)
        {
            Check(await shared.GetDatabase().ScriptEvaluateAsync(WriteScript, [Key(session)], args), session, revision);
            return written;
        }
        var redis = await writes();
        var confirmed = _clustered
            ? await WriteAndWaitOnClusterNode(redis, session, revision, args, min)
            : await WriteAndWait(redis, session, revision, args, min);
        if (confirmed < min)
            throw new WriteNotReplicatedException($"Session {session.Key} revision {written}: {confirmed} of {min} replica(s) confirmed it within {acks.Timeout.TotalMilliseconds:F0} ms.");
        return written;
    }

    /// <summary>The script and a WAIT in one batch, written back to back to the primary's socket.</summary>
    private async Task<long> WriteAndWait(IConnectionMultiplexer redis, GrainId session, long revision, RedisValue[] args, int min)
    {
        var batch = redis.GetDatabase().CreateBatch();
        var write = batch.ScriptEvaluateAsync(WriteScript, [Key(session)], args, CommandFlags.DemandMaster);
        var wait = batch.ExecuteAsync("WAIT", [min, (long)acks.Timeout.TotalMilliseconds], CommandFlags.DemandMaster);
        batch.Execute();
        await Checked(write, wait, session, revision);
        return (long)await wait;
    }

    /// <summary>
    /// In a Redis Cluster a batch sends a command without a key (WAIT) to any primary, so the WAIT goes to the session's
    /// primary by itself, between two <c>CLIENT ID</c>s, and the script answers with the id of the node that ran it. The
    /// write counts as confirmed only when it ran on the node the WAIT asked (not redirected elsewhere meanwhile) and both
    /// <c>CLIENT ID</c>s name one connection: then the WAIT ran on the connection the script was written to.
    /// </summary>
    private async Task<long> WriteAndWaitOnClusterNode(IConnectionMultiplexer redis, GrainId session, long revision, RedisValue[] args, int min)
    {
        var key = Key(session);
        IServer node;
        try
        {
            node = redis.GetServer(key, null, CommandFlags.DemandMaster);
        }
        catch (InvalidOperationException ex)
        {
            // No node serves the slot now (its primary died and no replica took over yet): storage is unavailable.
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.DemandMaster, $"Session {session.Key}: no primary serves its slot.", ex, CommandStatus.WaitingToBeSent);
        }
        // The client's own view of the cluster (from CLUSTER NODES, which it reads anyway) names the node.
        var nodeId = node.ClusterConfiguration?[node.EndPoint]?.NodeId;
        var before = node.ExecuteAsync("CLIENT", ["ID"], CommandFlags.DemandMaster);
        var write = redis.GetDatabase().ScriptEvaluateAsync(ClusterWriteScript, [key], args, CommandFlags.DemandMaster);
        var wait = node.ExecuteAsync("WAIT", [min, (long)acks.Timeout.TotalMilliseconds], CommandFlags.DemandMaster);
        var after = node.ExecuteAsync("CLIENT", ["ID"], CommandFlags.DemandMaster);
        var ranOn = "";
        try
        {
            var result = await write;
            if (result.Resp2Type == ResultType.Integer) Check(result, session, revision);
            ranOn = (string?)result ?? "";
        }
        finally
        {
            _ = Task.WhenAll(before, wait, after).ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        }
        if (nodeId is null || ranOn != nodeId || (long)await before != (long)await after)
            throw new WriteNotReplicatedException($"Session {session.Key}: its primary changed while the write waited for replicas.");
        return (long)await wait;
    }

    /// <summary>Awaits the script (a stale revision throws), observing the commands after it whatever happens.</summary>
    private static async Task Checked(Task<RedisResult> write, Task after, GrainId session, long revision)
    {
        try
        {
            Check(await write, session, revision);
        }
        finally
        {
            _ = after.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
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

    private static void Check(RedisResult result, GrainId session, long revision)
    {
        if ((int)result == 0)
            throw new InconsistentStateException($"Session {session.Key} is no longer at revision {revision}.", "unknown", revision.ToString(CultureInfo.InvariantCulture));
    }

    public async Task Clear(GrainId session, long revision) =>
        await (await connection).GetDatabase().ScriptEvaluateAsync(ClearScript, [Key(session)], [revision]);

    private RedisKey Key(GrainId session) => KeyOf(serviceId, Encoding.UTF8.GetString(session.Key.AsSpan()));

    /// <summary>The key expires at the record's purge time, never sooner than a minute from now (clock differences).</summary>
    private DateTimeOffset ExpiresAt(DateTimeOffset? purgeAfter)
    {
        var earliest = clock.GetUtcNow() + ExpiringRedisStorage.MinimumTimeToLive;
        var at = purgeAfter ?? clock.GetUtcNow() + fallbackLifetime;
        return at > earliest ? at : earliest;
    }
}
