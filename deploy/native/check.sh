#!/usr/bin/env bash
# The native part of the README's test command (deploy/local/test.sh), on every run:
#   - the assembled toolchain has its C libraries (deploy/native/toolchain.sh --clibs): build the three
#     native executables (deploy/native/build.sh, which analyses, compiles and links them) and run the
#     end-to-end test with them (deploy/local/e2e.sh --native);
#   - otherwise: take the three services through Native Image's analysis with the builder from Maven Central
#     on Temurin 25 (deploy/native/analyze.sh), and say in one line that no executable was built.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
HOME_DIR="$(deploy/native/toolchain.sh | tail -1)"
clibs="$HOME_DIR/lib/svm/clibraries/linux-amd64/glibc"
if [[ -f "$clibs/liblibchelper.a" && -f "$clibs/libjvm.a" && -e "$HOME_DIR/lib/static/linux-amd64/glibc/libjava.a" ]]; then
  echo "[native] toolchain complete at $HOME_DIR: building the native executables and running the native e2e"
  started=$(date +%s)
  # Quick-build mode (-Ob): the same analysis, about half the compile time; CI checks that the executables link and
  # run the scenario (the figures in deploy/native/README.md are from -Ob executables too).
  deploy/native/build.sh -q -Dquarkus.native.additional-build-args-append=-Ob
  echo "[native] three executables built (-Ob) in $(( $(date +%s) - started ))s"
  deploy/local/e2e.sh --native
else
  deploy/native/analyze.sh
fi
