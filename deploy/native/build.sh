#!/usr/bin/env bash
# Builds the three native executables with the assembled toolchain (deploy/native/toolchain.sh, with its
# C libraries installed): ./mvnw package -Dnative for producer, analyzer and sink. Extra arguments go to Maven.
# The executables land in <service>/target/*-runner; deploy/local/e2e.sh --native runs them end to end.
# Environment: NATIVE_BUILD_XMX (builder heap, default 6g). Extra Maven arguments pass through, e.g.
# -Dquarkus.native.additional-build-args-append=-Ob for the quick-build mode (what check.sh and CI use).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
HOME_DIR="$(deploy/native/toolchain.sh | tail -1)"
clibs="$HOME_DIR/lib/svm/clibraries/linux-amd64/glibc"
if [[ ! -f "$clibs/liblibchelper.a" || ! -f "$clibs/libjvm.a" ]]; then
  echo "[native-build] no Native Image C libraries in $HOME_DIR: cannot link (deploy/native/README.md)" >&2
  exit 1
fi
nice -n 10 ./mvnw -B package -Dnative -DskipTests -pl producer,analyzer,sink -am \
  -Dquarkus.native.graalvm-home="$HOME_DIR" -Dquarkus.native.native-image-xmx="${NATIVE_BUILD_XMX:-6g}" "$@"
ls -la producer/target/*-runner analyzer/target/*-runner sink/target/*-runner
