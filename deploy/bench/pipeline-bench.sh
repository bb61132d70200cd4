#!/usr/bin/env bash
# The end-to-end benchmark (issues 7 and 14): ClickHouse's own bulk-insert ceiling, Streaming Arrow at full
# speed and at a fixed rate (freshness), and a JSON-per-event pipeline, repeated (3 times by default) on the
# local stack; then the analyzer and a Kafka Streams application draining the same events. Prints one table of
# medians with their spread and the ratios against the same repetition's baselines; writes
# deploy/bench/results/pipeline-<time>.{txt,json,csv,svg,png}.
#   deploy/bench/pipeline-bench.sh                 (about 20 minutes on 2 quiet cores, build included)
#   deploy/bench/pipeline-bench.sh --repeat 5 --rows 4000000  (options: deploy/bench/pipeline_bench.py --help)
#   deploy/bench/pipeline-bench.sh --no-build ...  (use the jars already built)
#   deploy/bench/pipeline-bench.sh --phases ours --transports java-client,vertx
#       (the full-speed run only, through each sink transport in turn within each repetition)
# Uses the shared local stack (Kafka 19092, ClickHouse 8123, PostgreSQL 5432) with topics, tables and schemas of
# its own, and ports 18080-18082 for the services it starts.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$repo/deploy/bench/results"
# The classpath file goes where pipeline_bench.py writes its results (--out DIR or --out=DIR).
args=("$@")
for i in "${!args[@]}"; do
  case "${args[$i]}" in
    --out) out="${args[$((i + 1))]:-$out}" ;;
    --out=*) out="${args[$i]#--out=}" ;;
  esac
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$repo"

build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
if [[ "$build" == 1 ]]; then
  echo "building the services and the benchmark tools (./mvnw install -DskipTests)"
  ./mvnw -q -B install -DskipTests -pl producer,analyzer,sink,deploy/jmh -am
fi
./mvnw -q -B -pl deploy/jmh dependency:build-classpath -Dmdep.outputFile="$out/.classpath" >/dev/null

# Figures are only worth something on a quiet machine: say so when the pipeline is running beside us.
for port in 8080 8081 8082 18080 18081 18082; do
  if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
    echo "warning: something listens on :$port (deploy/local/pipeline.sh?); it shares the CPU with the benchmark" >&2
  fi
done

deploy/local/stack.sh up
exec python3 deploy/bench/pipeline_bench.py "$@"
