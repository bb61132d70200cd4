#!/usr/bin/env bash
# Microbenchmarks (JMH): Arrow IPC encode/decode per codec and batch size, against JSON-per-event written
# and read with Jackson in the same run; prints rows/s per core and the ratios, and bytes per row.
# Results: deploy/bench/results/jmh-<time>.json and a summary table on stdout.
#   deploy/bench/jmh.sh            (about 6 minutes)
#   deploy/bench/jmh.sh -f 1 -wi 1 -i 1 -r 1 -w 1    (extra JMH options, e.g. a quick run)
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
java -cp "$cp" org.openjdk.jmh.Main -rf json -rff "$out/jmh-$stamp.json" "$@" 'io.streamingarrow.bench.*' \
  | grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark)' || true

python3 - "$out/jmh-$stamp.json" "$out/sizes-$stamp.jsonl" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
sizes = [json.loads(line) for line in open(sys.argv[2])]
rate = {}
for r in results:
    name = r["benchmark"].rsplit(".", 2)
    bench, op = name[-2], name[-1]
    p = r.get("params", {})
    rows = int(p["rows"])
    fmt = "json" if bench == "JsonBaselineBenchmark" else "arrow-" + p["compression"].lower()
    rate[(fmt, op, rows)] = r["primaryMetric"]["score"] * rows  # ops/s x rows per op
print()
print(f"{'format':<18}{'rows/batch':>11}{'encode rows/s':>16}{'decode rows/s':>16}{'enc x JSON':>12}{'dec x JSON':>12}{'bytes/row':>11}{'JSON bytes / ours':>19}")
for rows in sorted({k[2] for k in rate}):
    json_size = next(s["bytesPerRow"] for s in sizes if s["format"] == "json-per-event" and s["rows"] == rows)
    for fmt in ["arrow-zstd", "arrow-lz4_frame", "arrow-none", "json"]:
        enc, dec = rate.get((fmt, "encode", rows)), rate.get((fmt, "decode", rows))
        if enc is None:
            continue
        size_fmt = "json-per-event" if fmt == "json" else fmt
        size = next(s["bytesPerRow"] for s in sizes if s["format"] == size_fmt and s["rows"] == rows)
        print(f"{fmt:<18}{rows:>11}{enc:>16,.0f}{dec:>16,.0f}"
              f"{enc / rate[('json', 'encode', rows)]:>12.1f}{dec / rate[('json', 'decode', rows)]:>12.1f}"
              f"{size:>11.1f}{json_size / size:>19.1f}")
PY
echo "raw results: $out/jmh-$stamp.json, $out/sizes-$stamp.jsonl"
