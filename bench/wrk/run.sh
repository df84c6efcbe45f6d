#!/usr/bin/env bash
# Counter increments measured from outside with wrk (a client no one here wrote): the ASP.NET Core Session
# middleware over Redis (bench/Baseline, its Redis with AOF fsynced on every write) against a SessionGrains
# cluster from scripts/local-cluster.sh (Redis with the same AOF setting, N silos, M front ends), every process at
# log level Warning. wrk is pinned to CPU 1; CPU time per request is the sum over every process of the system under
# test (utime + stime from /proc, children included) over the measured window, divided by the requests wrk counted.
#
#   bench/wrk/run.sh [--rounds 3] [--duration 15] [--warmup 10] [--connections 64] [--sessions 500]
#                    [--silos 2] [--frontends 1] [--combined] [--standalone]
#
# --standalone measures SessionGrains in standalone mode instead (one process, SQLite) against the same baseline.
#
# Needs wrk, redis-server, curl and a Release build (dotnet build SessionGrains.sln -c Release).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=3 DURATION=15 WARMUP=10 CONNECTIONS=64 SESSIONS=500 SILOS=2 FRONTENDS=1 COMBINED=() SHAPE="" STANDALONE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --sessions) SESSIONS=$2; shift 2 ;;
        --silos) SILOS=$2; shift 2 ;;
        --frontends) FRONTENDS=$2; shift 2 ;;
        --combined) COMBINED=(--combined); SHAPE=" (combined nodes)"; shift ;;
        --standalone) STANDALONE=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
for tool in wrk redis-server curl taskset; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }; done
BASELINE_DLL=$ROOT/bench/Baseline/bin/Release/net10.0/SessionGrains.Bench.Baseline.dll
[ -f "$BASELINE_DLL" ] || { echo "build Release first: dotnet build SessionGrains.sln -c Release" >&2; exit 2; }

WORK=$(mktemp -d /tmp/sg-wrk.XXXXXX)
STARTED_PIDS=()
cleanup() {
    "$ROOT/scripts/local-cluster.sh" down --state "$WORK/cluster" >/dev/null 2>&1 || true
    for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
    for _ in $(seq 1 120); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "$1 did not answer" >&2; exit 1
}

# The baseline: its own redis-server (AOF, fsync on every write) and the app.
REDIS_PORT=$(free_port); APP_PORT=$(free_port)
mkdir -p "$WORK/baseline"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/baseline" --save "" --appendonly yes --appendfsync always \
    --daemonize no --logfile "$WORK/baseline/redis.log" &
STARTED_PIDS+=($!)
BASELINE_REDIS_PID=$!
Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
    dotnet "$BASELINE_DLL" --urls "http://127.0.0.1:$APP_PORT" --contentRoot "$WORK/baseline" --Redis "127.0.0.1:$REDIS_PORT" \
    >"$WORK/baseline/app.log" 2>&1 &
STARTED_PIDS+=($!)
APP_PID=$!
wait_ready "http://127.0.0.1:$APP_PORT/healthz"

if [ -z "$STANDALONE" ]; then
    # The SessionGrains cluster, as the launcher starts it (production log level), without the abuse limits that one
    # address creating the sessions would meet.
    "$ROOT/scripts/local-cluster.sh" up --silos "$SILOS" --frontends "$FRONTENDS" "${COMBINED[@]}" --state "$WORK/cluster" \
        --set RateLimits:Enabled=false --set Sessions:RequestsPerSecond=1000000 >"$WORK/cluster.log" 2>&1 \
        || { cat "$WORK/cluster.log" >&2; exit 1; }
    SG_PIDS=$(grep -E '^(REDIS|SILO_[0-9]+|FRONTEND_[0-9]+)_PID=' "$WORK/cluster/cluster.env" | cut -d= -f2 | tr '\n' ' ')
    SG_URL=$(grep -E '^FRONTEND_1_URL=' "$WORK/cluster/cluster.env" | cut -d= -f2)
    SG_NAME="SessionGrains cluster: $SILOS silos, $FRONTENDS front end(s)$SHAPE"
else
    CLIENT_DLL=$ROOT/Client/bin/Release/net10.0/SessionGrains.Client.dll
    SG_PORT=$(free_port); mkdir -p "$WORK/standalone"
    Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
        dotnet "$CLIENT_DLL" --urls "http://127.0.0.1:$SG_PORT" --contentRoot "$WORK/standalone" \
        --Cluster:SiloPort "$(free_port)" --Cluster:GatewayPort "$(free_port)" \
        --RateLimits:Enabled false --Sessions:RequestsPerSecond 1000000 >"$WORK/standalone/app.log" 2>&1 &
    STARTED_PIDS+=($!)
    SG_PIDS=$!
    SG_URL="http://127.0.0.1:$SG_PORT"
    wait_ready "$SG_URL/readyz"
    SG_NAME="SessionGrains standalone (SQLite)"
fi

# Sessions: a header line each, as the wrk script reads them.
for _ in $(seq 1 "$SESSIONS"); do
    curl -fs -D - -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$APP_PORT/sessions" \
        | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/Cookie: \1/p' | head -n 1
done >"$WORK/baseline.sessions"
for _ in $(seq 1 "$SESSIONS"); do
    { curl -fs -X POST -H 'Content-Type: application/json' -d '{}' "$SG_URL/sessions"; echo; } \
        | sed -n 's/.*"token":"\([^"]*\)".*/Authorization: Bearer \1/p'
done >"$WORK/sessiongrains.sessions"
[ "$(wc -l <"$WORK/baseline.sessions")" -eq "$SESSIONS" ] && [ "$(wc -l <"$WORK/sessiongrains.sessions")" -eq "$SESSIONS" ] \
    || { echo "could not create $SESSIONS sessions on both targets" >&2; exit 1; }

# CPU ticks (1/100 s) used so far by the processes given, their waited-for children included.
ticks() { for pid in "$@"; do awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat"; done | awk '{ s += $1 } END { print s }'; }

name_of() {
    case "$(tr '\0' ' ' <"/proc/$1/cmdline")" in
        *redis-server*) echo "redis" ;; *Silo.dll*) echo "silo$1" ;; *Client.dll*) echo "frontend$1" ;; *) echo "app" ;;
    esac
}

# One wrk run against a target (after a warm-up run): prints "requests/s µs-per-request non-2xx name=µs...".
measure() {
    local url=$1 sessions=$2; shift 2
    SESSIONS=$sessions taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/wrk/increment.lua" "$url" >/dev/null
    local before after out pid
    before=$(ticks "$@")
    for pid in "$@"; do echo "$pid $(ticks "$pid")"; done >"$WORK/before"
    out=$(SESSIONS=$sessions taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$ROOT/bench/wrk/increment.lua" "$url")
    after=$(ticks "$@")
    for pid in "$@"; do echo "$pid $(ticks "$pid")"; done >"$WORK/after"
    local requests rate errors
    requests=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    rate=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
    errors=$(echo "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p')
    # Per process: "name=µs" for each, named by its command line.
    local split
    split=$(paste "$WORK/before" "$WORK/after" | while read -r p b _ a; do
        printf '%s=%d ' "$(name_of "$p")" $(( (a - b) * 10000 / requests )); done)
    echo "$rate $(( (after - before) * 10000 / requests )) ${errors:-0} $split"
}

echo "wrk POST /sessions/current/counters/n/increment: $SESSIONS sessions, $CONNECTIONS connections, wrk on CPU 1, ${WARMUP} s warm-up + ${DURATION} s per run"
echo "$SG_NAME; every process at log level Warning"
echo "| round | target | requests/s | × baseline | CPU µs/request | × baseline | non-2xx | µs/request by process |"
echo "|--:|---|--:|--:|--:|--:|--:|---|"
for round in $(seq 1 "$ROUNDS"); do
    read -r b_rate b_cpu b_err b_split < <(measure "http://127.0.0.1:$APP_PORT" "$WORK/baseline.sessions" "$APP_PID" "$BASELINE_REDIS_PID")
    # shellcheck disable=SC2086
    read -r c_rate c_cpu c_err c_split < <(measure "$SG_URL" "$WORK/sessiongrains.sessions" $SG_PIDS)
    echo "| $round | baseline | ${b_rate%.*} | 1.00× | $b_cpu | 1.00× | $b_err | $b_split |"
    awk -v r="$round" -v cr="$c_rate" -v br="$b_rate" -v cc="$c_cpu" -v bc="$b_cpu" -v e="$c_err" -v s="$c_split" \
        'BEGIN { printf "| %s | SessionGrains | %d | %.2f× | %d | %.2f× | %s | %s |\n", r, cr, cr / br, cc, cc / bc, e, s }'
done
