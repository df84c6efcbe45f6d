#!/usr/bin/env bash
# The drop-in store measured from outside with wrk: samples/Shop's GET /visits (load the session, increment a counter,
# commit) over 200 sessions, with the built-in Redis provider (AddStackExchangeRedisCache) and with AddSessionGrains,
# each shop with a redis-server of its own (AOF, appendfsync everysec), every process at log level Warning. wrk is
# pinned to CPU 1; CPU per page is the sum over the shop and every process of its store (from /proc).
#
#   bench/wrk/shop.sh [--rounds 3] [--duration 15] [--warmup 10] [--connections 32] [--sessions 200]
#                     [--targets silo,silo-unbatched,cluster,http] [--settle 0] [--path /visits]
#
# --path: the page, or pages comma-separated (each pass over the sessions takes the next: "/cart,/cart,/cart,/visits" is
# three reads to one write; /cart reads the session and changes nothing).
# silo: the shop is a silo of its own cluster (Session:Mode=Silo); silo-unbatched: the same with one Redis call per
# session write (Storage:BatchWrites=false, for an A/B of group commit across sessions in one run); cluster: the shop
# is an Orleans client of one silo (Session:Mode=Cluster); http: the shop calls a standalone front end
# (Session:Mode=Http). Needs wrk, redis-server, curl and a Release build.
set -euo pipefail
WRK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$WRK_DIR/../.." && pwd)
# shellcheck source=bench/wrk/lib.sh
. "$WRK_DIR/lib.sh"
ROUNDS=3 DURATION=15 WARMUP=10 CONNECTIONS=32 SESSIONS=200 TARGETS=silo,cluster SETTLE=0 PAGES=/visits
while [ $# -gt 0 ]; do
    if common_option "$1" "${2:-}"; then shift 2; continue; fi
    case "$1" in
        --targets) TARGETS=$2; shift 2 ;;
        --settle) SETTLE=$2; shift 2 ;;
        --path) PAGES=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
for tool in wrk redis-server curl taskset; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 2; }; done
BIN=bin/Release/net10.0
SHOP_DLL=$ROOT/samples/Shop/$BIN/SessionGrains.Samples.Shop.dll
[ -f "$SHOP_DLL" ] || { echo "build Release first: dotnet build SessionGrains.sln -c Release" >&2; exit 2; }
export METHOD=GET PATH_TO=$PAGES

WORK=$(mktemp -d /tmp/sg-wrk-shop.XXXXXX)
STARTED_PIDS=()
cleanup() {
    # Apps before their redis-servers: a silo that loses its membership store while stopping waits for it past 30 s.
    local pid apps=()
    for pid in "${STARTED_PIDS[@]}"; do [ "$(name_of "$pid" 2>/dev/null)" = redis ] || apps+=("$pid"); done
    stop "${apps[@]}"
    stop "${STARTED_PIDS[@]}"
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
export Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
SIGNING_KEY=$(head -c 32 /dev/urandom | base64)
API_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

# start NAME DIR COMMAND...: runs it in the background, logs to WORK/NAME.log; sets LAST_PID.
start() {
    local name=$1; shift
    "$@" >"$WORK/$name.log" 2>&1 &
    LAST_PID=$!
    STARTED_PIDS+=("$LAST_PID")
}

# shop TARGET: starts the shop of one target and what it needs; sets URL_<target> and PIDS_<target>.
shop() {
    local target=$1 redis_port shop_port settings=() pids=()
    redis_port=$(free_port); shop_port=$(free_port)
    # Redis keeps its files outside every app's content root: an app watches its content root and all below it for
    # configuration changes (ASP.NET Core's default, the shop's too), and each append to the AOF would wake it.
    mkdir -p "$WORK/$target" "$WORK/$target-redis"
    if [ "$target" != http ]; then
        start "$target-redis" redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$WORK/$target-redis" --save "" \
            --appendonly yes --appendfsync everysec --daemonize no
        pids+=("$LAST_PID")
    fi
    case "$target" in
        redis) settings=(--Session:Provider Redis --Session:Redis "127.0.0.1:$redis_port") ;;
        silo|silo-unbatched)
            settings=(--Session:Mode Silo --Session:SigningKey "$SIGNING_KEY" --Cluster:Redis "127.0.0.1:$redis_port"
                  --Cluster:SiloPort "$(free_port)" --Cluster:GatewayPort "$(free_port)" --Sessions:RequestsPerSecond 100000)
            [ "$target" = silo ] || settings+=(--Storage:BatchWrites false) ;;
        cluster)
            local silo_port
            silo_port=$(free_port)
            start cluster-silo dotnet "$ROOT/Silo/$BIN/SessionGrains.Silo.dll" --urls "http://127.0.0.1:$silo_port" \
                --contentRoot "$WORK/$target" --Cluster:Redis "127.0.0.1:$redis_port" \
                --Cluster:SiloPort "$(free_port)" --Cluster:GatewayPort "$(free_port)"
            pids+=("$LAST_PID")
            wait_ready "http://127.0.0.1:$silo_port/readyz"
            settings=(--Session:Mode Cluster --Session:ClusterRedis "127.0.0.1:$redis_port" --Session:SigningKey "$SIGNING_KEY") ;;
        http)
            local front_port
            front_port=$(free_port)
            start http-frontend dotnet "$ROOT/Client/$BIN/SessionGrains.Client.dll" --urls "http://127.0.0.1:$front_port" \
                --contentRoot "$WORK/$target" --Cluster:SiloPort "$(free_port)" --Cluster:GatewayPort "$(free_port)" \
                --Admin:ApiKey "$API_KEY" --Tokens:SigningKey "$SIGNING_KEY" --RateLimits:Enabled false --Sessions:RequestsPerSecond 100000
            pids+=("$LAST_PID")
            wait_ready "http://127.0.0.1:$front_port/readyz"
            settings=(--Session:Mode Http --Session:SessionGrains "http://127.0.0.1:$front_port/" --Session:ApiKey "$API_KEY") ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    start "$target-shop" dotnet "$SHOP_DLL" --urls "http://127.0.0.1:$shop_port" --contentRoot "$WORK/$target" \
        --Session:LoadAsync true "${settings[@]}"
    pids+=("$LAST_PID")
    wait_ready "http://127.0.0.1:$shop_port/healthz"
    for _ in $(seq 1 "$SESSIONS"); do
        curl -fs -D - -o /dev/null "http://127.0.0.1:$shop_port/visits" \
            | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/Cookie: \1/p' | head -n 1
    done >"$WORK/$target.sessions"
    [ "$(wc -l <"$WORK/$target.sessions")" -eq "$SESSIONS" ] || { echo "$target: the shop set no cookie" >&2; exit 1; }
    printf -v "URL_${target//-/_}" '%s' "http://127.0.0.1:$shop_port"
    printf -v "PIDS_${target//-/_}" '%s' "${pids[*]}"
}

IFS=, read -r -a targets <<<"redis,${TARGETS//redis,/}"
for target in "${targets[@]}"; do shop "$target"; done
# --settle N: N seconds of the same load on each shop before the first round, for steady state (a shop that hosts a
# silo keeps getting cheaper for minutes: tier-1 promotions of periodic code; docs/BENCHMARKS.md).
if [ "$SETTLE" -gt 0 ]; then
    for target in "${targets[@]}"; do
        url_var=URL_${target//-/_}
        SESSIONS=$WORK/$target.sessions taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SETTLE}s" -s "$WRK_DIR/sessions.lua" "${!url_var}" >/dev/null
    done
fi

echo "wrk GET $PAGES of samples/Shop: $SESSIONS sessions, $CONNECTIONS connections, wrk on CPU 1, ${WARMUP} s warm-up + ${DURATION} s per run"
echo "| round | store | requests/s | × Redis provider | CPU µs/page | × Redis provider | non-2xx | µs/page by process |"
echo "|--:|---|--:|--:|--:|--:|--:|---|"
# Rounds alternate the order of the stores (odd rounds the provider first, even rounds last), so that a machine that
# drifts within a round does not favour one side; each row's ratios are against the provider in the same round.
declare -A RESULT
for round in $(seq 1 "$ROUNDS"); do
    order=("${targets[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=(); for ((i = ${#targets[@]} - 1; i >= 0; i--)); do order+=("${targets[$i]}"); done
    fi
    for target in "${order[@]}"; do
        url_var=URL_${target//-/_} pids_var=PIDS_${target//-/_}
        # shellcheck disable=SC2086
        RESULT[$target]=$(measure "${!url_var}" "$WORK/$target.sessions" ${!pids_var})
    done
    read -r base_rate base_cpu _ <<<"${RESULT[redis]}"
    for target in "${targets[@]}"; do
        read -r rate cpu errors split <<<"${RESULT[$target]}"
        row "$round" "$target" "$rate" "$cpu" "$errors" "$split" "$base_rate" "$base_cpu"
    done
done
medians
