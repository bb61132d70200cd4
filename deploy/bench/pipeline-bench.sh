#!/usr/bin/env bash
# The end-to-end benchmark (issue 7): ClickHouse's own bulk-insert ceiling, Streaming Arrow at full
# speed and at a fixed rate (freshness), and a JSON-per-event pipeline, one after the other on the
# local stack. Prints one table with the ratios; writes deploy/bench/results/pipeline-<time>.{txt,json,csv,svg,png}.
#   deploy/bench/pipeline-bench.sh                 (about 2.5 minutes on 2 cores, build included)
#   deploy/bench/pipeline-bench.sh --rows 4000000  (options: deploy/bench/pipeline_bench.py --help)
#   deploy/bench/pipeline-bench.sh --no-build ...  (use the jars already built)
#   deploy/bench/pipeline-bench.sh --phases ours --transports java-client,vertx --rounds 2
#       (the full-speed run only, through each sink transport in turn: java-client, vertx, java-client, vertx)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$repo/deploy/bench/results"
mkdir -p "$out"
cd "$repo"

build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
if [[ "$build" == 1 ]]; then
  echo "building producer, sink and the benchmark tools (./mvnw package -DskipTests)"
  ./mvnw -q -B install -DskipTests -pl producer,sink,deploy/jmh -am
fi
./mvnw -q -B -pl deploy/jmh dependency:build-classpath -Dmdep.outputFile="$out/.classpath" >/dev/null

# Figures are only worth something on a quiet machine: say so when the pipeline is running beside us.
for port in 8080 8081 8082; do
  if ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; then
    echo "warning: something listens on :$port (deploy/local/pipeline.sh?); it shares the CPU with the benchmark" >&2
  fi
done

deploy/local/stack.sh up
exec python3 deploy/bench/pipeline_bench.py "$@"
