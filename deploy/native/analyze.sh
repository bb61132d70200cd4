#!/usr/bin/env bash
# The native check that runs everywhere: takes each service through Native Image's analysis with the
# builder from Maven Central on Temurin 25 (deploy/native/toolchain.sh), using the exact arguments Quarkus
# would give native-image (-Dquarkus.native.sources-only=true writes them to target/native-sources).
# Build-time class initialisation, missing classes, unsupported features and bad native configuration
# fail here, before any C toolchain or static library is involved.
#   deploy/native/analyze.sh [SERVICE...]      (default: producer analyzer sink)
# Then, where the assembled toolchain is complete (C libraries installed), it says so; where not, it prints
# one line saying that executables were not built. Logs: <service>/target/native-analysis.log.
# Environment: NATIVE_ANALYSIS_XMX (builder heap, default 3g), NATIVE_ANALYSIS_SKIP_PACKAGE=true to reuse
# target/native-sources from an earlier package run.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
SERVICES=("$@")
(( ${#SERVICES[@]} )) || SERVICES=(producer analyzer sink)
log() { printf '[native-analysis] %s\n' "$*"; }

HOME_DIR="$(deploy/native/toolchain.sh | tail -1)"

if [[ "${NATIVE_ANALYSIS_SKIP_PACKAGE:-false}" != true ]]; then
  log "writing the native-image arguments of ${SERVICES[*]} (quarkus.native.sources-only)"
  modules="$(IFS=,; echo "${SERVICES[*]}")"
  ./mvnw -B -q package -Dnative -Dquarkus.native.sources-only=true -DskipTests -pl "$modules" -am \
    >"$REPO/target-native-sources.log" 2>&1 || { tail -n 40 "$REPO/target-native-sources.log" >&2; log "FAIL: package -Dquarkus.native.sources-only"; exit 1; }
  rm -f "$REPO/target-native-sources.log"
fi

failed=()
for svc in "${SERVICES[@]}"; do
  sources="$REPO/$svc/target/native-sources"
  [[ -f "$sources/native-image.args" ]] || { log "FAIL: $sources/native-image.args is missing"; exit 1; }
  read -ra args <"$sources/native-image.args" || true # one line, without a final newline
  started=$(date +%s)
  # The subshell reports the builder's exit status and, through `times`, the CPU seconds it used (user + system
  # of its children): wall time says little on a shared machine, CPU time is what CI pays for.
  report="$( (cd "$sources" && NATIVE_IMAGE_ANALYSIS_ONLY=true nice -n 10 "$HOME_DIR/bin/native-image" \
     -J-Xmx"${NATIVE_ANALYSIS_XMX:-3g}" "${args[@]}") >"$REPO/$svc/target/native-analysis.log" 2>&1; echo "status $?"; times)"
  status="$(sed -n 's/^status //p' <<<"$report")"
  cpu="$(tail -n 1 <<<"$report" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } printf "%d", t }')"
  took=$(( $(date +%s) - started ))
  # The builder prints its analysis summary ("N types, N fields, and N methods found reachable") once the analysis has completed.
  if (( status == 0 )) && grep -q 'found reachable' "$REPO/$svc/target/native-analysis.log"; then
    log "$svc: analysis passed in ${took}s wall, ${cpu}s CPU ($(grep -m1 -o '[0-9,]* types, .* found reachable' "$REPO/$svc/target/native-analysis.log"))"
  else
    grep -E -A12 '^(Error|Fatal error)|unexpected error' "$REPO/$svc/target/native-analysis.log" | head -n 40 >&2 || tail -n 40 "$REPO/$svc/target/native-analysis.log" >&2
    log "$svc: analysis FAILED after ${took}s wall, ${cpu}s CPU (exit $status; log $svc/target/native-analysis.log)"
    failed+=("$svc")
  fi
done
(( ${#failed[@]} == 0 )) || { log "FAIL: native analysis of ${failed[*]}"; exit 1; }

clibs="$HOME_DIR/lib/svm/clibraries/linux-amd64/glibc"
if [[ -f "$clibs/liblibchelper.a" && -f "$clibs/libjvm.a" && -e "$HOME_DIR/lib/static/linux-amd64/glibc/libjava.a" ]]; then
  log "native toolchain complete at $HOME_DIR: build the executables with deploy/native/build.sh"
else
  # The one line that says what was not run (test.sh and CI show it on every run without the C libraries).
  echo "[native] NOT RUN: native link and native e2e (no Native Image C libraries in $HOME_DIR; deploy/native/README.md says how to add them); analysis only"
fi
