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
