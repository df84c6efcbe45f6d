#!/usr/bin/env bash
# Reproduces every figure of docs/BENCHMARKS.md: Release build, the load generator (pinned to its own CPU) against
# SessionGrains standalone, SessionGrains clusters of 2 silos + 1 front end and 3 silos + 2 front ends
# (scripts/local-cluster.sh), the Session-middleware-over-Redis baseline and a bare Kestrel app, with throughput,
# latency and CPU time per request of every process under test and the storage's work per request (Redis bytes and
# commands, SQLite bytes written); then the memory benchmark (100,000 and 1,000,000 sessions in one silo).
# Rewrites the generated sections of docs/BENCHMARKS.md, docs/images/benchmarks.png and docs/images/benchmarks-cpu.png.
# Takes about 14 minutes; run it on a quiet machine (no test run or other host alive).
# Extra arguments go to the load generator, e.g. `bench/run.sh --connections 32`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }
if busy=$(pgrep -af "dotnet test|SessionGrains" | grep -v "SessionGrains.Bench" | grep -v pgrep); then
    echo "warning: other test runs or SessionGrains hosts are running; the figures will be noisy:" >&2
    echo "$busy" | cut -c1-160 >&2
fi

dotnet build -c Release SessionGrains.sln -nologo -v q
dotnet bench/LoadGen/bin/Release/net10.0/SessionGrains.Bench.LoadGen.dll --all --docs "$@"
dotnet bench/Memory/bin/Release/net10.0/SessionGrains.Bench.Memory.dll --sessions 100000,1000000 --docs
