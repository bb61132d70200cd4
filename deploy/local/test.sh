#!/usr/bin/env bash
# The README's test command: brings the local stack up, runs the whole build with its tests
# (./mvnw -B verify, extra arguments passed through), and stops whatever part of the stack it started.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK="$REPO/deploy/local/stack.sh"

started=()
for component in kafka clickhouse postgres; do
  "$STACK" status "$component" >/dev/null 2>&1 || started+=("$component")
done

stop_started() {
  if (( ${#started[@]} )); then
    "$STACK" down "${started[@]}" || true
  fi
}
trap stop_started EXIT

"$STACK" up

cd "$REPO"
./mvnw -B verify "$@"

# Wire compatibility outwards: what we write must open in other Arrow implementations (polars, Arrow JS).
if command -v node >/dev/null && command -v npm >/dev/null; then
  src-shared/src/test/fixtures-gen/check-java-output.sh
else
  echo "node/npm missing: cannot check that polars and Arrow JS read our output (apt-get install nodejs npm)" >&2
  exit 1
fi
