# Shared by bench/wrk/*.sh: ports, readiness, CPU from /proc and one measured wrk run.
# shellcheck shell=bash

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
    for _ in $(seq 1 180); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done
    echo "$1 did not answer" >&2; exit 1
}

# CPU ticks (1/100 s) used so far by the processes given, their waited-for children included.
ticks() { for pid in "$@"; do awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat"; done | awk '{ s += $1 } END { print s }'; }

name_of() {
    case "$(tr '\0' ' ' <"/proc/$1/cmdline")" in
        *redis-server*) echo "redis" ;; *Silo.dll*) echo "silo$1" ;; *Client.dll*) echo "frontend$1" ;; *) echo "app$1" ;;
    esac
}

# measure URL SESSIONS_FILE PID...: a warm-up run, then the measured run (wrk on CPU 1, CONNECTIONS connections, METHOD
# and PATH_TO as sessions.lua reads them). Prints "requests/s µs-per-request non-2xx name=µs ...".
measure() {
    local url=$1 sessions=$2; shift 2
    SESSIONS=$sessions taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$WRK_DIR/sessions.lua" "$url" >/dev/null
    local pid out requests rate errors split
    for pid in "$@"; do echo "$pid $(ticks "$pid")"; done >"$WORK/before"
    out=$(SESSIONS=$sessions taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$WRK_DIR/sessions.lua" "$url")
    for pid in "$@"; do echo "$pid $(ticks "$pid")"; done >"$WORK/after"
    requests=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    rate=$(echo "$out" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
    errors=$(echo "$out" | sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p')
    split=$(paste "$WORK/before" "$WORK/after" | while read -r p b _ a; do
        printf '%s=%d ' "$(name_of "$p")" $(( (a - b) * 10000 / requests )); done)
    local total
    total=$(paste "$WORK/before" "$WORK/after" | awk '{ s += $4 - $2 } END { print s }')
    echo "$rate $(( total * 10000 / requests )) ${errors:-0} $split"
}

# row ROUND NAME RATE CPU ERRORS SPLIT BASE_RATE BASE_CPU: one Markdown row with the ratios against the baseline; the
# ratios are kept in $WORK/ratios for medians.
row() {
    awk -v r="$1" -v n="$2" -v cr="$3" -v cc="$4" -v e="$5" -v s="$6" -v br="$7" -v bc="$8" -v kept="$WORK/ratios" \
        'BEGIN { printf "| %s | %s | %d | %.2f× | %d | %.2f× | %s | %s |\n", r, n, cr, cr / br, cc, cc / bc, e, s
                 printf "%s %.4f %.4f\n", n, cr / br, cc / bc >>kept }'
}

# medians: one Markdown row per system with the medians of its rounds' ratios (rate, CPU per request), for the rows
# printed so far. A round's ratio is against the baseline of that round, so the medians are too.
medians() {
    python3 - "$WORK/ratios" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for name in dict.fromkeys(r[0] for r in rows):
    rate = [float(r[1]) for r in rows if r[0] == name]; cpu = [float(r[2]) for r in rows if r[0] == name]
    print(f"| median of {len(cpu)} | {name} | | {statistics.median(rate):.2f}× | | {statistics.median(cpu):.2f}× ({min(cpu):.2f}-{max(cpu):.2f}) | | |")
PY
}

# stop PID...: SIGTERM (silos drain their sessions first), then SIGKILL what is left after 30 s.
stop() {
    local pid
    for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 60); do
        local alive=0
        for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && return 0
        sleep 0.5
    done
    for pid in "$@"; do kill -9 "$pid" 2>/dev/null || true; done
}

# common_option NAME VALUE: takes the options every script has (ROUNDS, DURATION, WARMUP, CONNECTIONS, SESSIONS);
# fails for any other.
common_option() {
    case "$1" in
        --rounds) ROUNDS=$2 ;; --duration) DURATION=$2 ;; --warmup) WARMUP=$2 ;;
        --connections) CONNECTIONS=$2 ;; --sessions) SESSIONS=$2 ;; *) return 1 ;;
    esac
}
