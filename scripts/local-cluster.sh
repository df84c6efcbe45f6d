#!/usr/bin/env bash
# A local SessionGrains cluster without Docker: one redis-server, N silos and M front ends as ordinary
# processes on 127.0.0.1, each on ports the OS reported free. Everything it starts is recorded in a
# shell-sourceable state file (DIR/cluster.env) so later commands, tests and people can find it again.
# Processes run in their own sessions and outlive this script. Linux only (reads /proc).
# Run `scripts/local-cluster.sh help` for the commands.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR=${LOCAL_CLUSTER_STATE:-$ROOT/.local-cluster}
READY_TIMEOUT=${LOCAL_CLUSTER_READY_TIMEOUT:-60}
# A silo drains (hands its sessions over, Cluster:Placement:DrainTimeout = 20 s at most) before it exits.
STOP_TIMEOUT=${LOCAL_CLUSTER_STOP_TIMEOUT:-60}
SETTLE=${LOCAL_CLUSTER_SETTLE:-3}
SILO_DLL_NAME=SessionGrains.Silo.dll
FRONTEND_DLL_NAME=SessionGrains.Client.dll
# The name the sentinels know the primary by (Cluster:Redis has serviceName=...).
SENTINEL_SERVICE=sessiongrains
# A primary that does not answer for this long is down in one sentinel's view; two agreeing start the failover.
SENTINEL_DOWN_AFTER_MS=${LOCAL_CLUSTER_SENTINEL_DOWN_AFTER_MS:-1000}
SENTINEL_FAILOVER_TIMEOUT_MS=${LOCAL_CLUSTER_SENTINEL_FAILOVER_TIMEOUT_MS:-3000}
# Redis Cluster: a primary that does not answer for this long is failing; its replica takes over once the other primaries agree.
CLUSTER_NODE_TIMEOUT_MS=${LOCAL_CLUSTER_NODE_TIMEOUT_MS:-1000}
# Primaries of the Redis Cluster topology (redis-cli --cluster create needs at least three).
CLUSTER_PRIMARIES=3

usage() {
    cat <<EOF
Usage: scripts/local-cluster.sh COMMAND [ARGS] [--state DIR]

  up [--silos N] [--frontends M] [--combined] [--redis single|sentinel|cluster] [--build] [--config Release|Debug]
     [--log-level LEVEL] [--replicas R] [--set KEY=VALUE]...
                     start redis, N silos (default 3) and M front ends (default 2); wait until all are ready.
                     --combined: every front end is a combined node, a silo of the cluster in the front end's own
                     process (Cluster:CoHostSilo), and --silos defaults to 0 (silos without a front end may be added).
                     --redis single (default): one redis-server. --redis sentinel: a primary, R replicas (default 1)
                     and three redis-sentinel processes (service name $SENTINEL_SERVICE); silos and front ends find
                     the primary through the sentinels, which promote a replica about 2 s after the primary dies.
                     Session writes wait for one replica (Storage:MinReplicaAcks): with R = 1 they answer 503 from
                     the failover until the old primary is back as a replica; R = 2 keeps one through a failover.
                     --redis cluster: a Redis Cluster of $CLUSTER_PRIMARIES primaries with R replicas each (default 1);
                     each session's keys live on one primary (hash tag); a replica takes over about 2 s after its
                     primary dies (cluster-node-timeout ${CLUSTER_NODE_TIMEOUT_MS} ms), and session writes wait
                     for a replica of their primary.
                     Uses the existing build output (Release preferred, then Debug) and builds Release
                     only when none exists; --build always runs 'dotnet build' first.
                     Processes log as in production, from the appsettings.json shipped with them (Warning);
                     --log-level Information (or Debug, Trace, Error, ...) logs more or less (Logging:LogLevel:Default).
                     --set passes a configuration value to every silo and front end (e.g.
                     --set Cluster:Membership:ProbeTimeout=00:00:01); both are kept for later restarts.
  down               stop everything 'up' started (SIGTERM, then SIGKILL after ${STOP_TIMEOUT}s)
  status             show every process, its PID and whether /readyz answers
  kill-silo N        SIGKILL silo N                  stop-silo N     SIGTERM silo N and wait for it to exit
  start-silo N       (re)start silo N with its ports and wait for /readyz; N = count+1 adds a silo
  kill-frontend N    SIGKILL front end N             stop-frontend N SIGTERM front end N and wait
  start-frontend N   (re)start front end N and wait for /readyz; N = count+1 adds a front end
  drain-silo N       SIGTERM silo N: it hands its live sessions to the other silos, then leaves; waits and
                     prints how long that took (same as stop-silo, timed)
  rolling-restart    restart every silo, then every front end, one at a time: drain or stop, start, wait
                     for /readyz, then let sessions settle for ${SETTLE}s before the next
  kill-redis [--cut-replication MS]
                     SIGKILL redis (sentinel: the current primary; cluster: the primary holding the most
                     session keys)                                       stop-redis  SIGTERM it and wait
                     --cut-replication: first freeze the replicas (SIGSTOP) and close their links for MS ms while
                     the primary accepts writes, resume them after the kill: async replication's loss window
  freeze-redis MS    sentinel: SIGSTOP the primary for MS ms, then SIGCONT. Frozen past the failure detection time,
                     it is replaced, and resumes still acting as primary for what its clients had queued until the
                     sentinels make it a replica (two primaries at once; what it acknowledges then is dropped)
  start-redis        restart redis on the same port with the same data (AOF) directory; with sentinel or cluster,
                     every stopped node, as a replica of the current primary (of its slots)
  wait-ready         wait until every running silo and front end answers /readyz

State: DIR/cluster.env (default $ROOT/.local-cluster), logs in DIR/logs/.
Environment: LOCAL_CLUSTER_STATE (state dir), LOCAL_CLUSTER_READY_TIMEOUT (s, default 60),
             LOCAL_CLUSTER_STOP_TIMEOUT (s, default 60), LOCAL_CLUSTER_SETTLE (s, default 3).
EOF
}

say() { echo "local-cluster: $(date -u +%T.%3N) $*" >&2; }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
die() { say "error: $*"; exit 1; }

# --- state file ----------------------------------------------------------------------------------

state_file() { echo "$STATE_DIR/cluster.env"; }

load_state() {
    [[ -f $(state_file) ]] || die "no cluster in $STATE_DIR (run 'up' first)"
    # shellcheck disable=SC1090
    source "$(state_file)"
}

# Sets KEY=VALUE in the state file (replacing an earlier value) and in this shell.
set_state() {
    local key=$1 value=${2-} file tmp line
    file=$(state_file)
    tmp="$file.tmp.$$"
    if [[ -z $value ]]; then line="$key="; else line="$key=$(printf '%q' "$value")"; fi
    { [[ -f $file ]] && grep -v "^$key=" "$file" || true; echo "$line"; } >"$tmp"
    mv -f "$tmp" "$file"
    printf -v "$key" '%s' "$value"
}

# One mutating command at a time per state directory.
lock_state() {
    mkdir -p "$STATE_DIR"
    exec 9>"$STATE_DIR/.lock"
    flock -w 300 9 || die "another local-cluster command holds $STATE_DIR/.lock"
}

# --- processes -----------------------------------------------------------------------------------

# True when PID is alive (not a zombie) and its command line contains every given fragment:
# a PID from the state file is only signalled if it still is the process this script started.
pid_matches() {
    local pid=$1 cmd fragment
    shift
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ -n $cmd ]] || return 1
    for fragment in "$@"; do [[ $cmd == *"$fragment"* ]] || return 1; done
}

# Fragments end with a space (arguments are joined with spaces) so port 1234 never matches 12345.
silo_alive() {
    local pid_var="SILO_${1}_PID" port_var="SILO_${1}_PORT"
    [[ -n ${!port_var-} ]] || return 1
    pid_matches "${!pid_var-}" "$SILO_DLL_NAME " "--Cluster:ClusterId=$CLUSTER_ID " "--Cluster:SiloPort=${!port_var} "
}

frontend_alive() {
    local pid_var="FRONTEND_${1}_PID" url_var="FRONTEND_${1}_URL"
    [[ -n ${!url_var-} ]] || return 1
    pid_matches "${!pid_var-}" "$FRONTEND_DLL_NAME " "--Cluster:ClusterId=$CLUSTER_ID " "--urls=${!url_var} "
}

# redis-server rewrites its command line, so also require its working directory: the data directory.
redis_alive() {
    pid_matches "${REDIS_PID-}" redis-server ":$REDIS_PORT" || return 1
    [[ $(readlink "/proc/$REDIS_PID/cwd" 2>/dev/null) == "$(readlink -f "$REDIS_DATA_DIR")" ]]
}

# Sentinel topology: redis node N (REDIS_N_*) and sentinel N (SENTINEL_N_*), each in its own directory.
node_alive() {
    local pid="REDIS_${1}_PID" port="REDIS_${1}_PORT" dir="REDIS_${1}_DATA_DIR"
    [[ -n ${!port-} ]] || return 1
    pid_matches "${!pid-}" redis-server ":${!port}" || return 1
    [[ $(readlink "/proc/${!pid}/cwd" 2>/dev/null) == "$(readlink -f "${!dir}")" ]]
}

sentinel_alive() {
    local pid="SENTINEL_${1}_PID" port="SENTINEL_${1}_PORT"
    [[ -n ${!port-} ]] || return 1
    pid_matches "${!pid-}" redis-sentinel ":${!port}" || return 1
    [[ $(readlink "/proc/${!pid}/cwd" 2>/dev/null) == "$(readlink -f "$STATE_DIR/sentinel-$1")" ]]
}

# Starts a command in its own session, detached from this script and its terminal, output to LOG.
# Sets SPAWNED_PID. env, setsid and nohup exec in place, so $! is the PID of the final program.
# LABEL names the process in the log (the command itself may carry secrets in env).
spawn() {
    local log=$1 label=$2
    shift 2
    mkdir -p "$(dirname "$log")"
    echo "=== $(date -Is) local-cluster.sh starts $label" >>"$log"
    (
        exec 9>&-
        cd "$STATE_DIR"
        exec setsid nohup "$@" >>"$log" 2>&1 </dev/null
    ) &
    SPAWNED_PID=$!
    # Until the subshell has exec'd, its command line is this script's, and the checks that name the process by its
    # command line would take it for one that exited (seen on a busy machine: "exited before it was ready" at once).
    local mine child
    mine=$(tr '\0' ' ' </proc/$$/cmdline)
    for _ in $(seq 1 500); do
        child=$(tr '\0' ' ' <"/proc/$SPAWNED_PID/cmdline" 2>/dev/null) || break
        [[ $child == "$mine" ]] || break
        sleep 0.01
    done
}

# Sends SIGNAL to each "name|check" whose check passes (a function name plus argument, "silo_alive 2"):
# only a PID that still runs what this script started is signalled. With TERM, waits up to STOP_TIMEOUT
# for them to exit and then SIGKILLs the rest.
stop_processes() {
    local signal=$1 item name check pid pending=() signalled=() still deadline
    shift
    for item in "$@"; do
        name=${item%%|*}
        check=${item#*|}
        if $check; then
            pid=$(pid_of "$check")
            say "$name: SIG$signal $pid"
            kill "-$signal" "$pid" 2>/dev/null || true
            pending+=("$name|$pid")
            signalled+=("$pid")
        fi
    done
    if [[ $signal == KILL ]]; then deadline=$((SECONDS + 10)); else deadline=$((SECONDS + STOP_TIMEOUT)); fi
    while ((${#pending[@]})); do
        still=()
        for item in "${pending[@]}"; do process_exited "${item#*|}" || still+=("$item"); done
        pending=("${still[@]+"${still[@]}"}")
        ((${#pending[@]})) || break
        if ((SECONDS >= deadline)); then
            [[ $signal == KILL ]] && die "still running after SIGKILL: ${pending[*]}"
            for item in "${pending[@]}"; do
                say "${item%%|*}: did not exit within ${STOP_TIMEOUT}s, SIGKILL"
                kill -KILL "${item#*|}" 2>/dev/null || true
            done
            signal=KILL
            deadline=$((SECONDS + 10))
        fi
        sleep 0.05
    done
    # A zombie is reaped by its parent (init, once the script that started it has exited), usually at once but
    # after a second or two under some inits; wait a little so that pgrep right after this command finds nothing.
    deadline=$((SECONDS + 5))
    for pid in "${signalled[@]+"${signalled[@]}"}"; do
        while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.02; done
    done
    return 0
}

# True once PID is gone, or a zombie whose other threads are gone too. The command line empties and the
# main thread turns zombie while other threads still hold the sockets, so only then do a killed silo's
# ports refuse connections.
process_exited() {
    local stat tasks
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    [[ ${stat%% *} == Z ]] || return 1
    tasks=(/proc/"$1"/task/*)
    ((${#tasks[@]} <= 1))
}

pid_of() {
    local check=$1 var
    case $check in
    "silo_alive "*) var="SILO_${check#silo_alive }_PID" ;;
    "frontend_alive "*) var="FRONTEND_${check#frontend_alive }_PID" ;;
    redis_alive) var=REDIS_PID ;;
    "node_alive "*) var="REDIS_${check#node_alive }_PID" ;;
    "sentinel_alive "*) var="SENTINEL_${check#sentinel_alive }_PID" ;;
    esac
    echo "${!var-}"
}

# --- ports, secrets, readiness -------------------------------------------------------------------

# COUNT distinct loopback ports the OS reports free: all are bound at once on 127.0.0.1:0, then released.
free_ports() {
    local count=$1
    if command -v python3 >/dev/null; then
        python3 - "$count" <<'EOF'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
    else
        # Without python3: random ports below Linux's ephemeral range that nothing listens on.
        local ports=() port
        while ((${#ports[@]} < count)); do
            port=$((20000 + RANDOM % 12000))
            [[ " ${ports[*]} " == *" $port "* ]] && continue
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
            ports+=("$port")
        done
        echo "${ports[*]}"
    fi
}

# Ports for one new process, distinct from every port already in the state file.
new_ports() {
    local count=$1 used candidates port result=()
    used=" $(grep -E '^(REDIS_PORT|REDIS_[0-9]+_(BUS_)?PORT|SENTINEL_[0-9]+_PORT|SILO_[0-9]+_(PORT|GATEWAY|HTTP_PORT)|FRONTEND_[0-9]+_(PORT|SILO_PORT|GATEWAY))=' "$(state_file)" 2>/dev/null | cut -d= -f2 | tr '\n' ' ') "
    while ((${#result[@]} < count)); do
        read -r -a candidates <<<"$(free_ports "$count")"
        for port in "${candidates[@]}"; do
            ((${#result[@]} < count)) || break
            [[ $used == *" $port "* ]] && continue
            result+=("$port")
            used+="$port "
        done
    done
    echo "${result[*]}"
}

random_base64() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }

http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true; }

tail_log() {
    say "last lines of $1:"
    tail -n 40 "$1" >&2 || true
}

# Waits until URL/readyz answers 200 while CHECK stays true; fails loudly with the log tail.
wait_ready() {
    local name=$1 url=$2 check=$3 log=$4 deadline=$5
    while [[ $(http_status "$url/readyz") != 200 ]]; do
        if ! $check; then
            say "$name exited before it was ready"
            tail_log "$log"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            say "$name: $url/readyz did not answer 200 within ${READY_TIMEOUT}s"
            tail_log "$log"
            return 1
        fi
        sleep 0.2
    done
}

redis_ping() {
    local reply port=${1:-$REDIS_PORT}
    reply=$(
        exec 2>/dev/null
        exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
        printf 'PING\r\n' >&3
        timeout 2 head -c 5 <&3
    ) || return 1
    [[ $reply == "+PONG" ]]
}

# Until the redis-server or redis-sentinel NAME (PID, logging to LOG) answers PING on PORT; fails if it exits first.
wait_ping() {
    local name=$1 port=$2 pid=$3 log=$4 deadline=$((SECONDS + READY_TIMEOUT))
    until redis_ping "$port"; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
            say "$name did not answer PING on 127.0.0.1:$port"
            tail_log "$log"
            return 1
        fi
        sleep 0.1
    done
}

# --- starting each kind of process ---------------------------------------------------------------

write_redis_conf() {
    mkdir -p "$REDIS_DATA_DIR"
    cat >"$STATE_DIR/redis.conf" <<EOF
# Generated by scripts/local-cluster.sh for cluster $CLUSTER_ID.
bind 127.0.0.1
port $REDIS_PORT
# Loopback only, so protected mode (no password) never refuses a client.
protected-mode yes
daemonize no
dir "$REDIS_DATA_DIR"
# The service acknowledges a write only after storage accepted it; with appendfsync always Redis
# fsyncs the AOF before it replies, so an acknowledged write survives a Redis crash or restart.
appendonly yes
appendfsync always
save ""
EOF
}

start_redis() {
    redis_alive && die "redis is already running (pid $REDIS_PID)"
    command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
    spawn "$STATE_DIR/logs/redis.log" redis redis-server "$STATE_DIR/redis.conf"
    set_state REDIS_PID "$SPAWNED_PID"
    wait_ping redis "$REDIS_PORT" "$REDIS_PID" "$STATE_DIR/logs/redis.log" || return 1
    say "redis ready on 127.0.0.1:$REDIS_PORT (pid $REDIS_PID)"
}

# --- the sentinel topology: two redis nodes (primary and replica) and three sentinels ---------------

SENTINELS=3

# redis-cli against 127.0.0.1:PORT with a bounded wait; prints the reply, fails when there is none.
redis_cmd() {
    local port=$1
    shift
    timeout 2 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

# Node N's configuration: the same durability as the single server (every write fsynced to the AOF before the reply).
write_node_conf() {
    local n=$1 port="REDIS_${1}_PORT" dir="REDIS_${1}_DATA_DIR"
    mkdir -p "${!dir}"
    cat >"$STATE_DIR/redis-$n.conf" <<EOF
# Generated by scripts/local-cluster.sh for cluster $CLUSTER_ID ($REDIS_TOPOLOGY topology, node $n).
bind 127.0.0.1
port ${!port}
protected-mode yes
daemonize no
dir "${!dir}"
appendonly yes
appendfsync always
save ""
EOF
    [[ $REDIS_TOPOLOGY == cluster ]] || return 0
    local bus="REDIS_${n}_BUS_PORT"
    cat >>"$STATE_DIR/redis-$n.conf" <<EOF
cluster-enabled yes
# The cluster bus on a port of its own (by default port + 10000, which need not be free, or even exist).
cluster-port ${!bus}
cluster-config-file nodes.conf
cluster-node-timeout $CLUSTER_NODE_TIMEOUT_MS
# The slots of the other primaries keep serving while one primary's slots wait for its replica.
cluster-require-full-coverage no
# A replica takes over however long it was cut off from its primary (the tests freeze replicas on purpose).
cluster-replica-validity-factor 0
# No replica moves to a primary whose replicas look down: one that moved and had not synced yet could be promoted
# when that primary dies, and its slots would come back empty (seen here: replicas frozen, then the primary killed).
cluster-allow-replica-migration no
EOF
}

# Starts node N; with PRIMARY_PORT, as its replica (the command line wins over the file).
start_node() {
    local n=$1 primary=${2-} port="REDIS_${1}_PORT" args=()
    node_alive "$n" && die "redis node $n is already running"
    [[ -n $primary ]] && args=(--replicaof 127.0.0.1 "$primary")
    spawn "$STATE_DIR/logs/redis-$n.log" "redis node $n" redis-server "$STATE_DIR/redis-$n.conf" "${args[@]+"${args[@]}"}"
    set_state "REDIS_${n}_PID" "$SPAWNED_PID"
    wait_ping "redis node $n" "${!port}" "$SPAWNED_PID" "$STATE_DIR/logs/redis-$n.log" || return 1
    say "redis node $n ready on 127.0.0.1:${!port} (pid $SPAWNED_PID${primary:+, replica of 127.0.0.1:$primary})"
}

# Sentinel N watches the primary at PRIMARY_PORT. Sentinel rewrites its file (discovered replicas and sentinels).
write_sentinel_conf() {
    local n=$1 primary=$2 port="SENTINEL_${1}_PORT"
    mkdir -p "$STATE_DIR/sentinel-$n"
    cat >"$STATE_DIR/sentinel-$n/sentinel.conf" <<EOF
# Generated by scripts/local-cluster.sh for cluster $CLUSTER_ID (sentinel $n); redis-sentinel rewrites it.
bind 127.0.0.1
port ${!port}
daemonize no
dir "$STATE_DIR/sentinel-$n"
sentinel monitor $SENTINEL_SERVICE 127.0.0.1 $primary 2
sentinel down-after-milliseconds $SENTINEL_SERVICE $SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout $SENTINEL_SERVICE $SENTINEL_FAILOVER_TIMEOUT_MS
sentinel parallel-syncs $SENTINEL_SERVICE 1
EOF
}

start_sentinel() {
    local n=$1 port="SENTINEL_${1}_PORT"
    spawn "$STATE_DIR/logs/sentinel-$n.log" "sentinel $n" redis-sentinel "$STATE_DIR/sentinel-$n/sentinel.conf"
    set_state "SENTINEL_${n}_PID" "$SPAWNED_PID"
    wait_ping "sentinel $n" "${!port}" "$SPAWNED_PID" "$STATE_DIR/logs/sentinel-$n.log"
}

# Port of the primary as the first sentinel that answers names it; fails when none answers.
primary_port() {
    local i port reply
    for ((i = 1; i <= SENTINELS; i++)); do
        port="SENTINEL_${i}_PORT"
        sentinel_alive "$i" || continue
        reply=$(redis_cmd "${!port}" SENTINEL get-master-addr-by-name "$SENTINEL_SERVICE" | sed -n 2p) || continue
        [[ $reply =~ ^[0-9]+$ ]] && { echo "$reply"; return 0; }
    done
    return 1
}

# Number of the node the sentinels name primary.
primary_node() {
    local port i var
    port=$(primary_port) || return 1
    for ((i = 1; i <= REDIS_NODES; i++)); do
        var="REDIS_${i}_PORT"
        [[ ${!var} == "$port" ]] && { echo "$i"; return 0; }
    done
    return 1
}

# Until every sentinel knows the replica and the two other sentinels (they find each other through the primary's
# hello channel, every 2 s) and the replica is in sync: only then can a failover promote it.
wait_sentinels() {
    local deadline=$((SECONDS + READY_TIMEOUT)) i port ready fields
    while :; do
        ready=yes
        for ((i = 1; i <= SENTINELS; i++)); do
            port="SENTINEL_${i}_PORT"
            fields=$(redis_cmd "${!port}" SENTINEL master "$SENTINEL_SERVICE" | paste -sd' ') || fields=""
            [[ " $fields " == *" num-slaves $((REDIS_NODES - 1)) "* && " $fields " == *" num-other-sentinels $((SENTINELS - 1)) "* ]] || ready=no
        done
        port=$(primary_port) || ready=no
        [[ $ready == yes && $(redis_cmd "$port" INFO replication | grep -c 'state=online') == $((REDIS_NODES - 1)) ]] && break
        ((SECONDS < deadline)) || { say "the sentinels did not agree on a primary with a replica in sync within ${READY_TIMEOUT}s"; return 1; }
        sleep 0.2
    done
    say "sentinels ready: primary 127.0.0.1:$port, $((REDIS_NODES - 1)) replica(s) in sync"
}

start_sentinel_topology() {
    local i
    command -v redis-sentinel >/dev/null || die "redis-sentinel not found (apt-get install redis-sentinel)"
    command -v redis-cli >/dev/null || die "redis-cli not found (apt-get install redis-tools)"
    for ((i = 1; i <= REDIS_NODES; i++)); do write_node_conf "$i"; done
    start_node 1 || return 1
    for ((i = 2; i <= REDIS_NODES; i++)); do start_node "$i" "$REDIS_1_PORT" || return 1; done
    for ((i = 1; i <= SENTINELS; i++)); do
        write_sentinel_conf "$i" "$REDIS_1_PORT"
        start_sentinel "$i" || return 1
    done
    wait_sentinels
}

# --- the Redis Cluster topology: CLUSTER_PRIMARIES primaries with R replicas each -------------------

# Numbers of the running nodes that answer ROLE as primaries.
cluster_primary_nodes() {
    local i port role
    for ((i = 1; i <= REDIS_NODES; i++)); do
        node_alive "$i" || continue
        port="REDIS_${i}_PORT"
        role=$(redis_cmd "${!port}" ROLE | head -n 1) || continue
        [[ $role == master ]] && echo "$i"
    done
    return 0
}

# Until every node sees the whole cluster with every slot served, and each primary has its replicas in sync.
wait_cluster() {
    local deadline=$((SECONDS + READY_TIMEOUT)) i port ready info primaries per=$((REDIS_NODES / CLUSTER_PRIMARIES - 1))
    while :; do
        ready=yes
        for ((i = 1; i <= REDIS_NODES; i++)); do
            port="REDIS_${i}_PORT"
            info=$(redis_cmd "${!port}" CLUSTER INFO | tr -d '\r') || info=""
            [[ $info == *"cluster_state:ok"* && $info == *"cluster_known_nodes:$REDIS_NODES"* ]] || ready=no
        done
        primaries=$(cluster_primary_nodes)
        [[ $(echo "$primaries" | grep -c .) == "$CLUSTER_PRIMARIES" ]] || ready=no
        if [[ $ready == yes ]]; then
            for i in $primaries; do
                port="REDIS_${i}_PORT"
                [[ $(redis_cmd "${!port}" INFO replication | grep -c 'state=online') == "$per" ]] || ready=no
            done
        fi
        [[ $ready == yes ]] && break
        ((SECONDS < deadline)) || { say "the redis cluster did not come up with every slot served and replicas in sync within ${READY_TIMEOUT}s"; return 1; }
        sleep 0.2
    done
    say "redis cluster ready: primaries are nodes $(echo $primaries), each with $per replica(s) in sync"
}

start_cluster_topology() {
    local i port endpoints=()
    command -v redis-cli >/dev/null || die "redis-cli not found (apt-get install redis-tools)"
    for ((i = 1; i <= REDIS_NODES; i++)); do
        write_node_conf "$i"
        start_node "$i" || return 1
        port="REDIS_${i}_PORT"
        endpoints+=("127.0.0.1:${!port}")
    done
    timeout 60 redis-cli --cluster create "${endpoints[@]}" --cluster-replicas $((REDIS_NODES / CLUSTER_PRIMARIES - 1)) --cluster-yes \
        >>"$STATE_DIR/logs/cluster-create.log" 2>&1 || { say "redis-cli --cluster create failed"; tail_log "$STATE_DIR/logs/cluster-create.log"; return 1; }
    wait_cluster
}

# Numbers of the nodes that replicate node N (as its INFO replication lists them).
replica_nodes_of() {
    local port="REDIS_${1}_PORT" line p i var
    while IFS= read -r line; do
        [[ $line =~ ^slave[0-9]+:.*port=([0-9]+) ]] || continue
        p=${BASH_REMATCH[1]}
        for ((i = 1; i <= REDIS_NODES; i++)); do
            var="REDIS_${i}_PORT"
            [[ ${!var} == "$p" ]] && echo "$i"
        done
    done < <(redis_cmd "${!port}" INFO replication | tr -d '\r')
    return 0
}

# SIGKILL (kill) or SIGTERM (stop) primary node N; with CUT ms, its replicas are first cut off for that long.
stop_primary_node() {
    local n=$1 action=$2 cut=${3:-0} port="REDIS_${1}_PORT" frozen=() i pid
    if ((cut > 0)); then
        # The loss window made visible: the replicas are frozen (SIGSTOP) and their links closed, so for CUT ms the
        # primary acknowledges writes no replica receives; then it dies and the replicas resume (SIGCONT), in time
        # for one to be promoted without those writes. Shorter than the failure detection time, so no replica
        # counts as down.
        for i in $(replica_nodes_of "$n"); do
            node_alive "$i" && { pid=$(pid_of "node_alive $i"); kill -STOP "$pid"; frozen+=("$pid"); }
        done
        redis_cmd "${!port}" CLIENT KILL TYPE replica >/dev/null || true
        say "replicas frozen (${frozen[*]-none}) and cut off for ${cut} ms"
        sleep_ms "$cut"
    fi
    # The frozen replicas resume right after the SIGKILL, before the wait for the primary to exit: frozen longer than the
    # failure detection time, they would count as down themselves.
    if ((${#frozen[@]})) && [[ $action == kill ]]; then
        pid=$(pid_of "node_alive $n")
        say "redis node $n: SIGKILL $pid"
        kill -KILL "$pid"
    fi
    [[ $action == kill ]] && resume_nodes "${frozen[@]+"${frozen[@]}"}"
    stop_processes "$([[ $action == kill ]] && echo KILL || echo TERM)" "redis node $n|node_alive $n"
    set_state "REDIS_${n}_PID" ""
    [[ $action == kill ]] || resume_nodes "${frozen[@]+"${frozen[@]}"}"
}

# SIGCONT to every PID given (nodes frozen by stop_primary_node).
resume_nodes() {
    local pid
    for pid in "$@"; do kill -CONT "$pid" 2>/dev/null || true; done
}

# kill/stop: the primary that holds the most session keys. start: every stopped node; a former primary finds from
# its nodes.conf that a replica took its slots over and rejoins as that replica's replica.
cluster_node_command() {
    local action=$1 n best=0 most=-1 keys port
    case $action in
    kill | stop)
        for n in $(cluster_primary_nodes); do
            port="REDIS_${n}_PORT"
            keys=$(redis_cmd "${!port}" --scan --pattern '*/session/{*' | grep -c . || true)
            if ((keys > most)); then most=$keys best=$n; fi
        done
        ((best > 0)) || die "no redis node answers as a primary"
        port="REDIS_${best}_PORT"
        say "primary redis node $best (127.0.0.1:${!port}) holds the most session keys ($most)"
        stop_primary_node "$best" "$action" "${2:-0}"
        ;;
    start)
        for ((n = 1; n <= REDIS_NODES; n++)); do
            node_alive "$n" || start_node "$n" || exit 1
        done
        ;;
    esac
}

# Stops every Redis process: the sentinels first (stopping the nodes then starts no failover), then the nodes.
stop_redis_all() {
    local items=() i
    if [[ ${REDIS_TOPOLOGY:-single} == single ]]; then
        stop_processes TERM "redis|redis_alive"
        return
    fi
    for ((i = 1; i <= SENTINELS; i++)); do items+=("sentinel $i|sentinel_alive $i"); done
    stop_processes TERM "${items[@]}"
    items=()
    for ((i = 1; i <= REDIS_NODES; i++)); do items+=("redis node $i|node_alive $i"); done
    stop_processes TERM "${items[@]}"
}

# Command-line configuration every silo and front end gets (non-secret, so visible in ps), in HOST_ARGS.
host_args() {
    local settings setting
    HOST_ARGS=(--Cluster:Redis="$REDIS_CONNECTION" --Cluster:ClusterId="$CLUSTER_ID" --Cluster:ServiceId="$SERVICE_ID"
        # One timestamped line per log entry, so the logs of several processes can be lined up.
        --Logging:Console:FormatterName=simple --Logging:Console:FormatterOptions:SingleLine=true
        "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ")
    # Without --log-level the level is the one of the appsettings.json shipped with the binary (Warning).
    [[ -n ${LOG_LEVEL-} ]] && HOST_ARGS+=("--Logging:LogLevel:Default=$LOG_LEVEL")
    read -r -a settings <<<"${EXTRA_SETTINGS-}"
    for setting in "${settings[@]+"${settings[@]}"}"; do HOST_ARGS+=("--$setting"); done
}

ensure_silo_ports() {
    local n=$1 ports var="SILO_${1}_PORT"
    [[ -n ${!var-} ]] && return 0
    read -r -a ports <<<"$(new_ports 3)"
    set_state "SILO_${n}_PORT" "${ports[0]}"
    set_state "SILO_${n}_GATEWAY" "${ports[1]}"
    set_state "SILO_${n}_HTTP_PORT" "${ports[2]}"
    set_state "SILO_${n}_HTTP" "http://127.0.0.1:${ports[2]}"
}

# Starts silo N on its recorded ports (no waiting).
launch_silo() {
    local n=$1 port gateway http
    silo_alive "$n" && die "silo $n is already running (pid $(pid_of "silo_alive $n"))"
    ensure_silo_ports "$n"
    port=SILO_${n}_PORT gateway=SILO_${n}_GATEWAY http=SILO_${n}_HTTP
    host_args
    # ASPNETCORE_URLS is cleared so a caller's value never competes with --urls.
    spawn "$STATE_DIR/logs/silo-$n.log" "silo $n" env ASPNETCORE_URLS= DOTNET_NOLOGO=1 \
        dotnet "$SILO_DLL" "--urls=${!http}" "${HOST_ARGS[@]}" \
        "--Cluster:SiloPort=${!port}" "--Cluster:GatewayPort=${!gateway}" --Cluster:AdvertisedAddress=127.0.0.1
    set_state "SILO_${n}_PID" "$SPAWNED_PID"
}

ensure_frontend_port() {
    local n=$1 var="FRONTEND_${1}_PORT" port ports
    [[ -n ${!var-} ]] && return 0
    port=$(new_ports 1)
    set_state "FRONTEND_${n}_PORT" "$port"
    set_state "FRONTEND_${n}_URL" "http://127.0.0.1:$port"
    if [[ ${COMBINED-} == yes ]]; then
        read -r -a ports <<<"$(new_ports 2)"
        set_state "FRONTEND_${n}_SILO_PORT" "${ports[0]}"
        set_state "FRONTEND_${n}_GATEWAY" "${ports[1]}"
    fi
}

# Starts front end N on its recorded port (no waiting). Secrets go in the environment, not the command line.
launch_frontend() {
    local n=$1 url silo_args=()
    frontend_alive "$n" && die "front end $n is already running (pid $(pid_of "frontend_alive $n"))"
    ensure_frontend_port "$n"
    url=FRONTEND_${n}_URL
    host_args
    if [[ ${COMBINED-} == yes ]]; then
        local port=FRONTEND_${n}_SILO_PORT gateway=FRONTEND_${n}_GATEWAY
        silo_args=(--Cluster:CoHostSilo=true "--Cluster:SiloPort=${!port}" "--Cluster:GatewayPort=${!gateway}" --Cluster:AdvertisedAddress=127.0.0.1)
    fi
    spawn "$STATE_DIR/logs/frontend-$n.log" "front end $n" env ASPNETCORE_URLS= DOTNET_NOLOGO=1 \
        "Tokens__SigningKey=$SIGNING_KEY" "Admin__ApiKey=$API_KEY" \
        dotnet "$FRONTEND_DLL" "--urls=${!url}" "--webroot=$ROOT/Client/wwwroot" "${HOST_ARGS[@]}" "${silo_args[@]+"${silo_args[@]}"}"
    set_state "FRONTEND_${n}_PID" "$SPAWNED_PID"
}

wait_silo() {
    local var="SILO_${1}_HTTP"
    wait_ready "silo $1" "${!var}" "silo_alive $1" "$STATE_DIR/logs/silo-$1.log" "$2"
}

wait_frontend() {
    local var="FRONTEND_${1}_URL"
    wait_ready "front end $1" "${!var}" "frontend_alive $1" "$STATE_DIR/logs/frontend-$1.log" "$2"
}

# --- build output --------------------------------------------------------------------------------

dlls_exist() {
    [[ -f $ROOT/Silo/bin/$1/net10.0/$SILO_DLL_NAME && -f $ROOT/Client/bin/$1/net10.0/$FRONTEND_DLL_NAME ]]
}

choose_build() {
    local build=$1 config=$2
    if [[ $build == yes ]] || { [[ -n $config ]] && ! dlls_exist "$config"; }; then
        config=${config:-Release}
    elif [[ -z $config ]]; then
        if dlls_exist Release; then config=Release
        elif dlls_exist Debug; then config=Debug
        else config=Release build=yes
        fi
    fi
    if [[ $build == yes ]] || ! dlls_exist "$config"; then
        say "building $config"
        dotnet build -c "$config" "$ROOT/SessionGrains.sln" -nologo -v q >&2 || die "build failed"
    fi
    echo "$config"
}

# --- commands ------------------------------------------------------------------------------------

cmd_up() {
    local silos="" frontends=2 build=no config="" log_level="" settings=() topology=single replicas=1 combined=no
    while (($#)); do
        case $1 in
        --silos) silos=${2:?}; shift 2 ;;
        --combined) combined=yes; shift ;;
        --frontends) frontends=${2:?}; shift 2 ;;
        --build) build=yes; shift ;;
        --redis)
            topology=${2:?}; shift 2
            [[ $topology =~ ^(single|sentinel|cluster)$ ]] || die "--redis takes single, sentinel or cluster, not '$topology'" ;;
        --replicas) replicas=${2:?}; shift 2; [[ $replicas =~ ^[1-9]$ ]] || die "--replicas takes 1 to 9" ;;
        --config) config=${2:?}; shift 2 ;;
        --log-level)
            log_level=${2:?}; shift 2
            [[ ${log_level,,} =~ ^(trace|debug|information|warning|error|critical|none)$ ]] ||
                die "--log-level takes Trace, Debug, Information, Warning, Error, Critical or None, not '$log_level'" ;;
        --set)
            [[ ${2:?} =~ ^[A-Za-z0-9_:.]+=[^[:space:]]*$ ]] || die "--set takes KEY=VALUE without spaces: $2"
            settings+=("$2"); shift 2 ;;
        *) die "up: unknown argument '$1'" ;;
        esac
    done
    if [[ $combined == yes ]]; then
        silos=${silos:-0}
        [[ $silos =~ ^[0-9]+$ && $frontends =~ ^[1-9][0-9]*$ ]] || die "--combined needs --frontends >= 1 and --silos >= 0"
    else
        silos=${silos:-3}
        [[ $silos =~ ^[1-9][0-9]*$ && $frontends =~ ^[0-9]+$ ]] || die "--silos must be >= 1 and --frontends >= 0"
    fi
    command -v dotnet >/dev/null || die "dotnet not found"
    command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
    command -v curl >/dev/null || die "curl not found"

    lock_state
    if [[ -f $(state_file) ]]; then
        (
            load_state
            for ((i = 1; i <= ${SILOS:-0}; i++)); do silo_alive "$i" && exit 1; done
            for ((i = 1; i <= ${FRONTENDS:-0}; i++)); do frontend_alive "$i" && exit 1; done
            redis_alive && exit 1
            for ((i = 1; i <= ${REDIS_NODES:-0}; i++)); do node_alive "$i" && exit 1; done
            for ((i = 1; i <= SENTINELS; i++)); do sentinel_alive "$i" && exit 1; done
            exit 0
        ) || die "a cluster is already running from $STATE_DIR; run 'down' first"
    fi
    config=$(choose_build "$build" "$config")

    # A fresh cluster: previous logs and Redis data go.
    rm -rf "$STATE_DIR/logs" "$STATE_DIR"/redis* "$STATE_DIR"/sentinel-* "$(state_file)"
    mkdir -p "$STATE_DIR/logs"
    local suffix
    suffix=$(date +%Y%m%d%H%M%S)-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
    : >"$(state_file)"
    set_state REPO_ROOT "$ROOT"
    set_state BUILD_CONFIG "$config"
    set_state SILO_DLL "$ROOT/Silo/bin/$config/net10.0/$SILO_DLL_NAME"
    set_state FRONTEND_DLL "$ROOT/Client/bin/$config/net10.0/$FRONTEND_DLL_NAME"
    # Unique ids per cluster: its Redis keys never collide with another cluster's.
    set_state CLUSTER_ID "local-$suffix"
    set_state SERVICE_ID "session-grains-local-$suffix"
    set_state SIGNING_KEY "$(random_base64 32)"
    set_state API_KEY "$(random_base64 24 | tr '+/' '-_' | tr -d '=')"
    set_state EXTRA_SETTINGS "${settings[*]-}"
    set_state LOG_LEVEL "$log_level"
    set_state REDIS_TOPOLOGY "$topology"
    if [[ $topology == single ]]; then
        set_state REDIS_DATA_DIR "$STATE_DIR/redis"
        set_state REDIS_PORT "$(new_ports 1)"
        set_state REDIS_CONNECTION "127.0.0.1:$REDIS_PORT"
    elif [[ $topology == cluster ]]; then
        local endpoints=()
        set_state REDIS_NODES $((CLUSTER_PRIMARIES * (replicas + 1)))
        for ((i = 1; i <= REDIS_NODES; i++)); do
            set_state "REDIS_${i}_DATA_DIR" "$STATE_DIR/redis-$i"
            local ports
            read -r -a ports <<<"$(new_ports 2)"
            set_state "REDIS_${i}_PORT" "${ports[0]}"
            set_state "REDIS_${i}_BUS_PORT" "${ports[1]}"
            local port="REDIS_${i}_PORT"
            endpoints+=("127.0.0.1:${!port}")
        done
        # Any node: the clients learn the slot map from it.
        set_state REDIS_PORT "$REDIS_1_PORT"
        set_state REDIS_CONNECTION "$(IFS=,; echo "${endpoints[*]}")"
    else
        local endpoints=()
        set_state REDIS_NODES $((replicas + 1))
        for ((i = 1; i <= REDIS_NODES; i++)); do
            set_state "REDIS_${i}_DATA_DIR" "$STATE_DIR/redis-$i"
            set_state "REDIS_${i}_PORT" "$(new_ports 1)"
        done
        for ((i = 1; i <= SENTINELS; i++)); do
            set_state "SENTINEL_${i}_PORT" "$(new_ports 1)"
            local port="SENTINEL_${i}_PORT"
            endpoints+=("127.0.0.1:${!port}")
        done
        # The primary at start; after a failover ask 'status'.
        set_state REDIS_PORT "$REDIS_1_PORT"
        set_state REDIS_CONNECTION "$(IFS=,; echo "${endpoints[*]}"),serviceName=$SENTINEL_SERVICE"
    fi
    set_state SILOS "$silos"
    set_state FRONTENDS "$frontends"
    set_state COMBINED "$combined"
    for ((i = 1; i <= silos; i++)); do ensure_silo_ports "$i"; done
    for ((i = 1; i <= frontends; i++)); do ensure_frontend_port "$i"; done

    if [[ $topology == single ]]; then
        write_redis_conf
        start_redis || up_failed
    elif [[ $topology == cluster ]]; then
        start_cluster_topology || up_failed
    else
        start_sentinel_topology || up_failed
    fi
    for ((i = 1; i <= silos; i++)); do launch_silo "$i"; done
    local deadline=$((SECONDS + READY_TIMEOUT))
    for ((i = 1; i <= silos; i++)); do wait_silo "$i" "$deadline" || up_failed; done
    say "$silos silo(s) ready"
    # Front ends start once the silos are members, so they find gateways at once.
    for ((i = 1; i <= frontends; i++)); do launch_frontend "$i"; done
    deadline=$((SECONDS + READY_TIMEOUT))
    for ((i = 1; i <= frontends; i++)); do wait_frontend "$i" "$deadline" || up_failed; done
    print_summary
}

# Nothing half-started stays behind; the logs do.
up_failed() {
    say "up failed; stopping what was started (logs kept in $STATE_DIR/logs)"
    stop_all || true
    exit 1
}

print_summary() {
    local i var pid
    echo "SessionGrains local cluster $CLUSTER_ID is up ($BUILD_CONFIG build, log level ${LOG_LEVEL:-Warning from appsettings.json})"
    for ((i = 1; i <= FRONTENDS; i++)); do
        var=FRONTEND_${i}_URL pid=FRONTEND_${i}_PID
        echo "  front end $i: ${!var}  (pid ${!pid})"
    done
    for ((i = 1; i <= SILOS; i++)); do
        var=SILO_${i}_HTTP pid=SILO_${i}_PID
        local port=SILO_${i}_PORT gw=SILO_${i}_GATEWAY
        echo "  silo $i:      ${!var}  (pid ${!pid}, silo port ${!port}, gateway ${!gw})"
    done
    if [[ $REDIS_TOPOLOGY == single ]]; then
        echo "  redis:       127.0.0.1:$REDIS_PORT  (pid $REDIS_PID, data $REDIS_DATA_DIR)"
    else
        for ((i = 1; i <= REDIS_NODES; i++)); do
            var=REDIS_${i}_PORT pid=REDIS_${i}_PID
            echo "  redis node $i: 127.0.0.1:${!var}  (pid ${!pid})"
        done
        for ((i = 1; i <= SENTINELS; i++)); do
            [[ $REDIS_TOPOLOGY == sentinel ]] || break
            var=SENTINEL_${i}_PORT pid=SENTINEL_${i}_PID
            echo "  sentinel $i:  127.0.0.1:${!var}  (pid ${!pid})"
        done
        echo "  Cluster:Redis=$REDIS_CONNECTION"
    fi
    echo "  API key (X-Api-Key): $API_KEY"
    echo "  state: $(state_file)   logs: $STATE_DIR/logs/"
}

stop_all() {
    local items=() i
    for ((i = 1; i <= ${FRONTENDS:-0}; i++)); do items+=("front end $i|frontend_alive $i"); done
    ((${#items[@]})) && stop_processes TERM "${items[@]}"
    items=()
    # Silos stop while Redis still runs, so they can leave the membership table and deactivate cleanly.
    for ((i = 1; i <= ${SILOS:-0}; i++)); do items+=("silo $i|silo_alive $i"); done
    ((${#items[@]})) && stop_processes TERM "${items[@]}"
    stop_redis_all
}

cmd_down() {
    lock_state
    if [[ ! -f $(state_file) ]]; then
        say "no cluster in $STATE_DIR"
        return 0
    fi
    load_state
    stop_all
    for ((i = 1; i <= SILOS; i++)); do set_state "SILO_${i}_PID" ""; done
    for ((i = 1; i <= FRONTENDS; i++)); do set_state "FRONTEND_${i}_PID" ""; done
    set_state REDIS_PID ""
    if [[ ${REDIS_TOPOLOGY:-single} != single ]]; then
        for ((i = 1; i <= REDIS_NODES; i++)); do set_state "REDIS_${i}_PID" ""; done
        [[ $REDIS_TOPOLOGY == sentinel ]] && for ((i = 1; i <= SENTINELS; i++)); do set_state "SENTINEL_${i}_PID" ""; done
    fi
    say "cluster $CLUSTER_ID stopped (logs kept in $STATE_DIR/logs)"
}

cmd_status() {
    load_state
    local i var alive code
    echo "cluster $CLUSTER_ID (state $(state_file))"
    for ((i = 1; i <= FRONTENDS; i++)); do
        var=FRONTEND_${i}_URL
        if frontend_alive "$i"; then alive="pid $(pid_of "frontend_alive $i")" code=$(http_status "${!var}/readyz"); else alive=stopped code=-; fi
        printf '  front end %-3s %-26s %-12s readyz %s\n' "$i" "${!var-}" "$alive" "$code"
    done
    for ((i = 1; i <= SILOS; i++)); do
        var=SILO_${i}_HTTP
        if silo_alive "$i"; then alive="pid $(pid_of "silo_alive $i")" code=$(http_status "${!var}/readyz"); else alive=stopped code=-; fi
        printf '  silo %-8s %-26s %-12s readyz %s\n' "$i" "${!var-}" "$alive" "$code"
    done
    if [[ ${REDIS_TOPOLOGY:-single} == single ]]; then
        if redis_alive; then alive="pid $REDIS_PID" code=$(redis_ping && echo PONG || echo no-answer); else alive=stopped code=-; fi
        printf '  redis         %-26s %-12s ping %s\n' "127.0.0.1:$REDIS_PORT" "$alive" "$code"
        return
    fi
    local port role
    for ((i = 1; i <= REDIS_NODES; i++)); do
        var=REDIS_${i}_PORT
        if node_alive "$i"; then alive="pid $(pid_of "node_alive $i")" role=$(redis_cmd "${!var}" ROLE | head -n 1) || role=no-answer; else alive=stopped role=-; fi
        printf '  redis node %-3s %-25s %-12s role %s\n' "$i" "127.0.0.1:${!var}" "$alive" "${role:-no-answer}"
    done
    if [[ $REDIS_TOPOLOGY == cluster ]]; then
        echo "primaries: redis nodes $(echo $(cluster_primary_nodes))"
        return
    fi
    for ((i = 1; i <= SENTINELS; i++)); do
        var=SENTINEL_${i}_PORT
        if sentinel_alive "$i"; then alive="pid $(pid_of "sentinel_alive $i")" code=$(redis_ping "${!var}" && echo PONG || echo no-answer); else alive=stopped code=-; fi
        printf '  sentinel %-5s %-25s %-12s ping %s\n' "$i" "127.0.0.1:${!var}" "$alive" "$code"
    done
    if port=$(primary_port); then echo "primary: 127.0.0.1:$port (redis node $(primary_node || echo '?'))"; else echo "primary: unknown (no sentinel answers)"; fi
}

# Validates N for a per-process command; N = count+1 adds a process (start only).
check_index() {
    local kind=$1 n=$2 count=$3 allow_new=$4
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "$kind number must be a positive integer, not '$n'"
    ((n <= count)) && return 0
    [[ $allow_new == yes ]] && ((n == count + 1)) && return 0
    die "there is no $kind $n (the cluster has $count)"
}

cmd_silo() {
    local action=$1 n=${2-}
    lock_state
    load_state
    check_index silo "$n" "$SILOS" "$([[ $action == start ]] && echo yes || echo no)"
    case $action in
    kill | stop)
        silo_alive "$n" || { say "silo $n is not running"; return 0; }
        stop_processes "$([[ $action == kill ]] && echo KILL || echo TERM)" "silo $n|silo_alive $n"
        set_state "SILO_${n}_PID" ""
        ;;
    start)
        launch_silo "$n"
        ((n > SILOS)) && set_state SILOS "$n"
        wait_silo "$n" $((SECONDS + READY_TIMEOUT)) || exit 1
        local var=SILO_${n}_HTTP
        say "silo $n ready on ${!var} (pid $(pid_of "silo_alive $n"))"
        ;;
    esac
}

cmd_frontend() {
    local action=$1 n=${2-}
    lock_state
    load_state
    check_index "front end" "$n" "$FRONTENDS" "$([[ $action == start ]] && echo yes || echo no)"
    case $action in
    kill | stop)
        frontend_alive "$n" || { say "front end $n is not running"; return 0; }
        stop_processes "$([[ $action == kill ]] && echo KILL || echo TERM)" "front end $n|frontend_alive $n"
        set_state "FRONTEND_${n}_PID" ""
        ;;
    start)
        launch_frontend "$n"
        ((n > FRONTENDS)) && set_state FRONTENDS "$n"
        wait_frontend "$n" $((SECONDS + READY_TIMEOUT)) || exit 1
        local var=FRONTEND_${n}_URL
        say "front end $n ready on ${!var} (pid $(pid_of "frontend_alive $n"))"
        ;;
    esac
}

cmd_drain_silo() {
    local n=${1-} started=$SECONDS
    cmd_silo stop "$n"
    say "silo $n drained and stopped in $((SECONDS - started)) s"
}

# Every silo, then every front end, one at a time. A silo drains on SIGTERM, so its sessions move live to the
# others and come back when it rejoins; a front end finishes its requests, and clients retry on the other ones.
cmd_rolling_restart() {
    local i started=$SECONDS
    load_state
    local silos=$SILOS frontends=$FRONTENDS
    for ((i = 1; i <= silos; i++)); do
        silo_alive "$i" || continue # a silo taken out of the cluster stays out
        cmd_silo stop "$i"
        cmd_silo start "$i"
        sleep "$SETTLE"
    done
    for ((i = 1; i <= frontends; i++)); do
        frontend_alive "$i" || continue
        cmd_frontend stop "$i"
        cmd_frontend start "$i"
        sleep "$SETTLE"
    done
    say "rolling restart of $silos silos and $frontends front ends done in $((SECONDS - started)) s"
}

cmd_redis() {
    local action=$1
    lock_state
    load_state
    local cut=0
    if [[ ${2-} == --cut-replication ]]; then cut=${3:?--cut-replication takes milliseconds}; fi
    [[ ${REDIS_TOPOLOGY:-single} == cluster ]] && { cluster_node_command "$action" "$cut"; return; }
    [[ ${REDIS_TOPOLOGY:-single} == single ]] || { sentinel_node_command "$action" "$cut"; return; }
    ((cut == 0)) || die "--cut-replication needs --redis sentinel or cluster"
    case $action in
    kill | stop)
        redis_alive || { say "redis is not running"; return 0; }
        stop_processes "$([[ $action == kill ]] && echo KILL || echo TERM)" "redis|redis_alive"
        set_state REDIS_PID ""
        ;;
    start) start_redis ;;
    esac
}

# Sentinel topology: freezes the primary (SIGSTOP) for MS ms and resumes it (SIGCONT); see usage.
cmd_freeze_redis() {
    local ms=${1:?freeze-redis takes milliseconds} n pid
    lock_state
    load_state
    [[ ${REDIS_TOPOLOGY:-single} == sentinel ]] || die "freeze-redis needs --redis sentinel"
    n=$(primary_node) || die "no sentinel names a primary"
    node_alive "$n" || die "primary redis node $n is not running"
    pid=$(pid_of "node_alive $n")
    say "redis node $n: SIGSTOP $pid for $ms ms"
    kill -STOP "$pid"
    sleep_ms "$ms"
    kill -CONT "$pid"
    say "redis node $n: SIGCONT $pid; the sentinels name node $(primary_node || echo '?') primary"
}

# kill/stop: the node the sentinels name primary. start: every stopped node, as a replica of the current primary,
# so a former primary never serves as one again (its writes the replica missed are dropped by the resync).
sentinel_node_command() {
    local action=$1 n primary
    case $action in
    kill | stop)
        n=$(primary_node) || die "no sentinel names a primary"
        node_alive "$n" || { say "primary redis node $n is not running"; return 0; }
        local port="REDIS_${n}_PORT"
        say "primary is redis node $n (127.0.0.1:${!port})"
        stop_primary_node "$n" "$action" "${2:-0}"
        ;;
    start)
        for ((n = 1; n <= REDIS_NODES; n++)); do
            node_alive "$n" && continue
            primary=$(primary_port) || die "no sentinel names a primary"
            local port="REDIS_${n}_PORT"
            # Until the sentinels promoted another node, the one that died is still the primary: start it as such.
            [[ $primary == "${!port}" ]] && primary=""
            start_node "$n" "$primary" || exit 1
        done
        ;;
    esac
}

cmd_wait_ready() {
    load_state
    local deadline=$((SECONDS + READY_TIMEOUT)) i
    for ((i = 1; i <= SILOS; i++)); do silo_alive "$i" && { wait_silo "$i" "$deadline" || exit 1; }; done
    for ((i = 1; i <= FRONTENDS; i++)); do frontend_alive "$i" && { wait_frontend "$i" "$deadline" || exit 1; }; done
    say "all running processes are ready"
}

main() {
    local args=() command
    while (($#)); do
        case $1 in
        --state) STATE_DIR=${2:?--state needs a directory}; shift 2 ;;
        --state=*) STATE_DIR=${1#--state=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) args+=("$1"); shift ;;
        esac
    done
    set -- "${args[@]+"${args[@]}"}"
    command=${1:-help}
    shift || true
    umask 077 # the state file holds the signing key and the API key
    STATE_DIR=$(realpath -m "$STATE_DIR")
    case $command in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    wait-ready) cmd_wait_ready ;;
    kill-silo) cmd_silo kill "$@" ;;
    drain-silo) cmd_drain_silo "$@" ;;
    rolling-restart) cmd_rolling_restart ;;
    stop-silo) cmd_silo stop "$@" ;;
    start-silo) cmd_silo start "$@" ;;
    kill-frontend) cmd_frontend kill "$@" ;;
    stop-frontend) cmd_frontend stop "$@" ;;
    start-frontend) cmd_frontend start "$@" ;;
    kill-redis) cmd_redis kill "$@" ;;
    freeze-redis) cmd_freeze_redis "$@" ;;
    stop-redis) cmd_redis stop ;;
    start-redis) cmd_redis start ;;
    help) usage ;;
    *) usage >&2; die "unknown command '$command'" ;;
    esac
}

main "$@"
