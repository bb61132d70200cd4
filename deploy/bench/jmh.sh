#!/usr/bin/env bash
# Microbenchmarks (JMH): Arrow IPC encode/decode per codec and batch size, against JSON-per-event written
# and read with Jackson in the same run; prints rows/s per core and the ratios, and bytes per row.
#
# Also the sink's Arrow -> ClickHouse Native conversion (NativeConversionBenchmark), into the table the
# sink creates on ClickHouse 18.16 (ts DateTime + ts_us Int64, Nullable measures, kafka_* columns):
# "convert" turns an already decoded batch into a Native block, "decode+convert" takes the zstd Arrow IPC
# message bytes to Native bytes as the sink does per Kafka message. Printed as a second table, rows/s
# per core (single thread) per batch size.
#
# Results: deploy/bench/results/jmh-<time>.json and the summary tables on stdout.
#   deploy/bench/jmh.sh            (about 11 minutes on 2 cores)
#   deploy/bench/jmh.sh -f 1 -wi 1 -i 1 -r 1 -w 1    (extra JMH options, e.g. a quick run)
#   deploy/bench/jmh.sh -f 1 -wi 1 -i 1 -r 1 -w 1 'io.streamingarrow.bench.NativeConversionBenchmark'
#                                  (a benchmark pattern replaces the default io.streamingarrow.bench.*;
#                                   tables whose results are absent are left out)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$repo/deploy/bench/results"
mkdir -p "$out"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

cd "$repo"
./mvnw -q -B install -pl deploy/jmh -am -DskipTests
./mvnw -q -B -pl deploy/jmh dependency:build-classpath -Dmdep.outputFile="$out/.classpath" >/dev/null
cp="deploy/jmh/target/classes:$(cat "$out/.classpath")"

java --add-opens=java.base/java.nio=ALL-UNNAMED -cp "$cp" io.streamingarrow.bench.SizeReport >"$out/sizes-$stamp.jsonl"
# JMH ORs its include patterns, so the default one is only added when no pattern is given: a
# positional argument that is not the value of an option (all JMH options take one but these).
include=('io.streamingarrow.bench.*')
value_next=false
for arg in "$@"; do
  if $value_next; then
    value_next=false
    continue
  fi
  case "$arg" in
    -h|-l|-lp|-lprof|-lrf) ;;
    -*) value_next=true ;;
    *) include=() ;;
  esac
done
java -cp "$cp" org.openjdk.jmh.Main -rf json -rff "$out/jmh-$stamp.json" "$@" ${include[@]+"${include[@]}"} \
  | grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark)' || true

python3 - "$out/jmh-$stamp.json" "$out/sizes-$stamp.jsonl" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
sizes = [json.loads(line) for line in open(sys.argv[2])]
rate = {}    # codec and JSON baseline: (format, op, rows) -> rows/s
native = {}  # NativeConversionBenchmark: (op, rows) -> rows/s
for r in results:
    name = r["benchmark"].rsplit(".", 2)
    bench, op = name[-2], name[-1]
    p = r.get("params", {})
    rows = int(p["rows"])
    score = r["primaryMetric"]["score"] * rows  # ops/s x rows per op
    if bench == "NativeConversionBenchmark":
        native[(op, rows)] = score
        continue
    fmt = "json" if bench == "JsonBaselineBenchmark" else "arrow-" + p["compression"].lower()
    rate[(fmt, op, rows)] = score
if rate:
    print()
    print(f"{'format':<18}{'rows/batch':>11}{'encode rows/s':>16}{'decode rows/s':>16}{'enc x JSON':>12}{'dec x JSON':>12}{'bytes/row':>11}{'JSON bytes / ours':>19}")
def ratio(value, base):
    return f"{value / base:>12.1f}" if value is not None and base else f"{'-':>12}"
def rows_per_s(value, width):
    return f"{value:>{width},.0f}" if value is not None else f"{'-':>{width}}"
for rows in sorted({k[2] for k in rate}):
    json_size = next(s["bytesPerRow"] for s in sizes if s["format"] == "json-per-event" and s["rows"] == rows)
    for fmt in ["arrow-zstd", "arrow-lz4_frame", "arrow-none", "json"]:
        enc, dec = rate.get((fmt, "encode", rows)), rate.get((fmt, "decode", rows))
        if enc is None and dec is None:
            continue
        size_fmt = "json-per-event" if fmt == "json" else fmt
        size = next(s["bytesPerRow"] for s in sizes if s["format"] == size_fmt and s["rows"] == rows)
        print(f"{fmt:<18}{rows:>11}{rows_per_s(enc, 16)}{rows_per_s(dec, 16)}"
              f"{ratio(enc, rate.get(('json', 'encode', rows)))}{ratio(dec, rate.get(('json', 'decode', rows)))}"
              f"{size:>11.1f}{json_size / size:>19.1f}")
if native:
    print()
    print("Arrow -> ClickHouse Native (sink, 18.16 table), rows/s per core")
    print(f"{'rows/batch':>11}{'convert rows/s':>17}{'decode+convert rows/s':>24}")
    for rows in sorted({k[1] for k in native}):
        print(f"{rows:>11}{rows_per_s(native.get(('convert', rows)), 17)}"
              f"{rows_per_s(native.get(('decodeAndConvert', rows)), 24)}")
PY
echo "raw results: $out/jmh-$stamp.json, $out/sizes-$stamp.jsonl"
