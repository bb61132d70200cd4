#!/usr/bin/env bash
# The native part of the README's test command (deploy/local/test.sh), on every run:
#   - the assembled toolchain has its C libraries (deploy/native/toolchain.sh --clibs): build the three
#     native executables (deploy/native/build.sh, which analyses, compiles and links them) and run the
#     end-to-end test with them (deploy/local/e2e.sh --native);
#   - otherwise: take the three services through Native Image's analysis with the builder from Maven Central
#     on Temurin 25 (deploy/native/analyze.sh), and say in one line that no executable was built.
#
#   deploy/native/check.sh               as above
#   deploy/native/check.sh analysis      the analysis only, whatever the toolchain has (test.sh runs this beside
#                                        its other suites, on a copy of the sources: it packages them its own way)
#   deploy/native/check.sh executables   with the C libraries: the executables and e2e.sh --native; without them,
#                                        the one line that says so (test.sh runs this at the end)
# STREAMING_ARROW_NATIVE_EXECUTABLES=0 skips the executables even with the C libraries, saying so in one line
# (a build takes about 15 CPU-minutes per service: for a quick local run on a machine that has the toolchain).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
MODE="${1:-all}"
case "$MODE" in all|analysis|executables) ;; *) echo "usage: $0 [analysis|executables]" >&2; exit 2 ;; esac

HOME_DIR="$(deploy/native/toolchain.sh | tail -1)"
clibs="$HOME_DIR/lib/svm/clibraries/linux-amd64/glibc"
complete=false
if [[ -f "$clibs/liblibchelper.a" && -f "$clibs/libjvm.a" && -e "$HOME_DIR/lib/static/linux-amd64/glibc/libjava.a" ]]; then
  complete=true
fi

if [[ "$MODE" == analysis ]]; then
  exec deploy/native/analyze.sh
fi
if [[ "$complete" != true ]]; then
  if [[ "$MODE" == all ]]; then
    deploy/native/analyze.sh # ends with the NOT RUN line
  else
    echo "[native] NOT RUN: native link and native e2e (no Native Image C libraries in $HOME_DIR; deploy/native/README.md says how to add them); analysis only"
  fi
  exit 0
fi
if [[ "${STREAMING_ARROW_NATIVE_EXECUTABLES:-1}" == 0 ]]; then
  echo "[native] NOT RUN: native executables and native e2e (STREAMING_ARROW_NATIVE_EXECUTABLES=0, although the toolchain at $HOME_DIR is complete)"
  exit 0
fi
echo "[native] toolchain complete at $HOME_DIR: building the native executables and running the native e2e"
started=$(date +%s)
# Quick-build mode (-Ob): the same analysis, about half the compile time; CI checks that the executables link and
# run the scenario (the figures in deploy/native/README.md are from -Ob executables too).
deploy/native/build.sh -q -Dquarkus.native.additional-build-args-append=-Ob
echo "[native] three executables built (-Ob) in $(( $(date +%s) - started ))s"
deploy/local/e2e.sh --native
