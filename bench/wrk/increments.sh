#!/usr/bin/env bash
# Counter increments measured from outside with wrk (a client no one here wrote): the ASP.NET Core Session
# middleware over Redis (bench/Baseline, its Redis with AOF fsynced on every write) against a SessionGrains
# cluster from scripts/local-cluster.sh (Redis with the same AOF setting, N silos, M front ends), every process at
# log level Warning. wrk is pinned to CPU 1; CPU time per request is the sum over every process of the system under
# test (utime + stime from /proc, children included) over the measured window, divided by the requests wrk counted.
#
#   bench/wrk/increments.sh [--rounds 3] [--duration 15] [--warmup 10] [--connections 64] [--sessions 500]
#                    [--silos 2] [--frontends 1] [--combined] [--standalone]
#
# --standalone measures SessionGrains in standalone mode instead (one process, SQLite) against the same baseline.
#
# Needs wrk, redis-server, curl and a Release build (dotnet build SessionGrains.sln -c Release).
set -euo pipefail
WRK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$WRK_DIR/../.." && pwd)
# shellcheck source=bench/wrk/lib.sh
. "$WRK_DIR/lib.sh"
ROUNDS=3 DURATION=15 WARMUP=10 CONNECTIONS=64 SESSIONS=500 SILOS=2 FRONTENDS=1 COMBINED=() SHAPE="" STANDALONE=""
while [ $# -gt 0 ]; do
    if common_option "$1" "${2:-}"; then shift 2; continue; fi
    case "$1" in
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
    stop "${STARTED_PIDS[@]}"
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# The baseline: its own redis-server (AOF, fsync on every write) and the app.
REDIS_PORT=$(free_port); APP_PORT=$(free_port)
# Redis keeps its files outside the app's content root, which the app watches (with all below it) for configuration
# changes: every fsynced append to the AOF would wake the baseline's watcher thread.
mkdir -p "$WORK/baseline" "$WORK/baseline-redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/baseline-redis" --save "" --appendonly yes --appendfsync always \
    --daemonize no --logfile "$WORK/baseline-redis/redis.log" &
STARTED_PIDS+=($!)
BASELINE_REDIS_PID=$!
Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
    dotnet "$BASELINE_DLL" --urls "http://127.0.0.1:$APP_PORT" --contentRoot "$WORK/baseline" --Redis "127.0.0.1:$REDIS_PORT" \
    >"$WORK/baseline-app.log" 2>&1 &
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

echo "wrk POST /sessions/current/counters/n/increment: $SESSIONS sessions, $CONNECTIONS connections, wrk on CPU 1, ${WARMUP} s warm-up + ${DURATION} s per run"
echo "$SG_NAME; every process at log level Warning"
echo "| round | target | requests/s | × baseline | CPU µs/request | × baseline | non-2xx | µs/request by process |"
echo "|--:|---|--:|--:|--:|--:|--:|---|"
# Rounds alternate the order (odd rounds the baseline first, even rounds SessionGrains first), so that a machine that
# drifts within a round favours neither; each row's ratios are against the baseline of the same round.
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then
        read -r b_rate b_cpu b_err b_split < <(measure "http://127.0.0.1:$APP_PORT" "$WORK/baseline.sessions" "$APP_PID" "$BASELINE_REDIS_PID")
    fi
    # shellcheck disable=SC2086
    read -r c_rate c_cpu c_err c_split < <(measure "$SG_URL" "$WORK/sessiongrains.sessions" $SG_PIDS)
    if [ $((round % 2)) = 0 ]; then
        read -r b_rate b_cpu b_err b_split < <(measure "http://127.0.0.1:$APP_PORT" "$WORK/baseline.sessions" "$APP_PID" "$BASELINE_REDIS_PID")
    fi
    row "$round" baseline "$b_rate" "$b_cpu" "$b_err" "$b_split" "$b_rate" "$b_cpu"
    row "$round" SessionGrains "$c_rate" "$c_cpu" "$c_err" "$c_split" "$b_rate" "$b_cpu"
done
medians
