#!/usr/bin/env bash
# Runs the chaos tests RUNS times (default 5) and prints, per fault, the worst wait a plain client saw for one write in
# each run, then the worst and the spread over the runs. The tests print one "worst wait [fault] N ms" line per fault
# (tests/SessionGrains.Tests/Cluster/SequencedLoad.cs). The elastic collection runs alone, after the others (README).
#   scripts/chaos-figures.sh [RUNS] [--config Release|Debug]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 config=Release
while [[ $# -gt 0 ]]; do
    case $1 in
        --config) config=$2; shift 2 ;;
        *) runs=$1; shift ;;
    esac
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build tests/SessionGrains.Tests -c "$config" -v q -nologo >/dev/null
filters=(
    "FullyQualifiedName~Cluster.FailoverTests"
    "FullyQualifiedName~Elastic.RollingRestartTests"
)
for ((run = 1; run <= runs; run++)); do
    for filter in "${filters[@]}"; do
        log="$out/run-$run-${filter##*.}.log"
        if ! dotnet test tests/SessionGrains.Tests -c "$config" --no-build --filter "$filter" \
            --logger "console;verbosity=detailed" >"$log" 2>&1; then
            echo "run $run, $filter: FAILED (log kept in $log.failed)" >&2
            cp "$log" "$log.failed"
            cp "$log" "${TMPDIR:-/tmp}/chaos-figures-run-$run-${filter##*.}.failed.log"
        fi
        grep -o 'worst wait \[[^]]*\] [0-9]* ms' "$log" | sed "s/^/run $run: /" || true
    done
done | tee "$out/all"
echo
echo "per fault over $runs runs ($config): worst wait in each run (ms), then worst and spread"
# A fault marked twice in a run (e.g. two silo kills) counts with its larger figure for that run.
awk '{
    run = $2; sub(":", "", run)
    match($0, /\[[^]]*\]/); fault = substr($0, RSTART + 1, RLENGTH - 2)
    ms = $(NF - 1) + 0
    key = fault SUBSEP run
    if (!(key in best) || ms > best[key]) best[key] = ms
    if (!(fault in seen)) { seen[fault] = 1; order[++n] = fault }
}
END {
    for (i = 1; i <= n; i++) {
        f = order[i]; line = ""; lo = -1; hi = 0; count = 0
        for (k in best) {
            split(k, parts, SUBSEP)
            if (parts[1] != f) continue
            v = best[k]; line = line " " v; count++
            if (lo < 0 || v < lo) lo = v
            if (v > hi) hi = v
        }
        printf "%-22s runs %d: worst %d ms, spread %d-%d ms; per run:%s\n", f, count, hi, lo, hi, line
    }
}' "$out/all"
