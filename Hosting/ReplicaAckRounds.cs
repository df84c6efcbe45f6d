using System.Net;
using StackExchange.Redis;

namespace SessionGrains.Hosting;

/// <summary>
/// Confirms session writes by replicas with one <c>WAIT</c> per round instead of one per write. Per Redis node, at most
/// one WAIT is in flight; the write scripts sent meanwhile form the next round, whose WAIT goes out when the one in
/// flight returns. WAIT answers for every write its client connection sent before it, and a round's scripts and its
/// WAIT are queued to the node's one connection in that order (under one lock), so the WAIT answers for all of them.
/// A round starts with <c>CLIENT ID</c> and its WAIT is followed by another: were the connection replaced in between
/// (a reconnect), the ids differ and the round counts as unconfirmed.
/// </summary>
public sealed class ReplicaAckRounds(TimeSpan timeout)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<EndPoint, NodeRounds> _nodes = [];

    /// <summary>
    /// Queues <paramref name="send"/> (a write script) to <paramref name="node"/> and returns it with the number of replicas
    /// that confirmed it (-1 when the connection changed during the round).
    /// </summary>
    public (Task<RedisResult> Write, Task<long> Confirmed) Send(IServer node, Func<Task<RedisResult>> send, int min)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(node.EndPoint, out var rounds)) _nodes[node.EndPoint] = rounds = new NodeRounds();
            var round = rounds.Open ??= new Round(node.ExecuteAsync("CLIENT", ["ID"], CommandFlags.DemandMaster));
            if (min > round.Min) round.Min = min;
            var write = send();
            if (!rounds.Waiting) Close(node, rounds, round);
            return (write, round.Confirmed.Task);
        }
    }

    /// <summary>Sends the round's WAIT (under the lock, after every script of the round).</summary>
    private void Close(IServer node, NodeRounds rounds, Round round)
    {
        rounds.Open = null;
        rounds.Waiting = true;
        Task<RedisResult> wait, after;
        try
        {
            wait = node.ExecuteAsync("WAIT", [round.Min, (long)timeout.TotalMilliseconds], CommandFlags.DemandMaster);
            after = node.ExecuteAsync("CLIENT", ["ID"], CommandFlags.DemandMaster);
        }
        catch (Exception ex)
        {
            rounds.Waiting = false;
            round.Fail(ex);
            return;
        }
        _ = Complete(node, rounds, round, wait, after);
    }

    private async Task Complete(IServer node, NodeRounds rounds, Round round, Task<RedisResult> wait, Task<RedisResult> after)
    {
        try
        {
            var confirmed = (long)await wait;
            round.Confirmed.TrySetResult((long)await round.Before == (long)await after ? confirmed : -1);
        }
        catch (Exception ex)
        {
            round.Fail(ex);
            _ = after.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        }
        finally
        {
            lock (_lock)
            {
                rounds.Waiting = false;
                if (rounds.Open is { } next) Close(node, rounds, next);
            }
        }
    }

    private sealed class NodeRounds
    {
        /// <summary>The round collecting writes; its WAIT is not sent yet.</summary>
        public Round? Open;

        /// <summary>Whether a WAIT of this node is in flight.</summary>
        public bool Waiting;
    }

    private sealed class Round(Task<RedisResult> before)
    {
        public Task<RedisResult> Before { get; } = before;

        public int Min;

        public TaskCompletionSource<long> Confirmed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Fail(Exception ex)
        {
            Confirmed.TrySetException(ex);
            _ = Before.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        }
    }
}
