#!/usr/bin/env bash
# Wire compatibility, outward: what our encoder writes must open in other Arrow readers. Writes the
# producer's message format with SeedOutputExport and the analyzer's closed windows (arrow_aggregates) with
# AggregateOutputExport, then reads both with polars and Arrow JS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

(cd "$repo" && ./mvnw -B -q -pl src-shared,analyzer test -Dtest=SeedOutputExport,AggregateOutputExport \
   -Dsurefire.failIfNoSpecifiedTests=false \
   -DstreamingArrow.exportDir="$out")
cd "$here"
[[ -d node_modules/nodejs-polars ]] || npm install --no-audit --no-fund --loglevel=error
node check-java-output.mjs "$out"
