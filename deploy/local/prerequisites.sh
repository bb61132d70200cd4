#!/usr/bin/env bash
# The Debian packages the README's commands need, in one place. stack.sh, pipeline.sh and test.sh source
# this file and call `prerequisites stack|pipeline|test`: as root (or, with CI=true, through passwordless
# sudo) missing packages are installed with apt-get; otherwise the command stops with one line naming
# the packages to install.
#
# It can also be run by itself, to see or install what a command needs:
#
#   deploy/local/prerequisites.sh [--dry-run] stack|pipeline|test
#
# --dry-run (or PREREQUISITES_DRY_RUN=1) only says what is missing and what would be installed.
# A tool counts as present when `command -v` finds it, whatever package brought it: another package's
# kubectl, for example, is used as it is (Debian's kubernetes-client would conflict with it).

# Each requirement: the Debian package, and the check that finds it already there.
prerequisites_have() { command -v "$1" >/dev/null 2>&1; }
prerequisites_have_jdk() {
  { [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; } || prerequisites_have javac
}
prerequisites_have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; }
prerequisites_have_chromium() {
  { [[ -n "${CHROMIUM:-}" && -x "$CHROMIUM" ]]; } || prerequisites_have chromium
}

# Prints the missing packages of one command (stack, pipeline or test), one per line.
prerequisites_missing() {
  local purpose="$1"
  local -a checks=(
    # package                     check
    "clickhouse-server            prerequisites_have clickhouse-server"
    "clickhouse-client            prerequisites_have clickhouse-client"
    "postgresql                   prerequisites_have_postgres"
    "curl                         prerequisites_have curl"
    "iproute2                     prerequisites_have ss"
    "util-linux                   prerequisites_have setpriv"
    # the Kafka broker and the services run on the JDK; ./mvnw builds with it
    "openjdk-17-jdk-headless      prerequisites_have_jdk"
  )
  case "$purpose" in
    stack|pipeline) ;;
    test)
      checks+=(
        # the wire check (polars, Arrow JS), the live-page check (Playwright) and the manifest check run on node
        "nodejs                   prerequisites_have node"
        "npm                      prerequisites_have npm"
        # deploy/local/e2e.sh drives Debian's Chromium headless against the analyzer's live page
        "chromium                 prerequisites_have_chromium"
        # deploy/k8s/check.sh renders the manifests with kubectl's built-in kustomize, offline
        "kubernetes-client        prerequisites_have kubectl"
        # deploy/local/e2e.sh computes its expected results by brute force in Python
        "python3                  prerequisites_have python3"
        # deploy/native/toolchain.sh compiles the builder's small C helper (the native analysis check)
        "gcc                      prerequisites_have cc"
      ) ;;
    *) printf '[prerequisites] unknown purpose %s (stack, pipeline or test)\n' "$purpose" >&2; return 2 ;;
  esac
  local entry package check
  for entry in "${checks[@]}"; do
    read -r package check <<<"$entry"
    # shellcheck disable=SC2086 # the check is a function and its argument
    $check || echo "$package"
  done
}

# Makes sure the packages of one command are there: installs them as root, or stops with one line.
prerequisites() {
  local purpose="$1"
  local -a missing
  mapfile -t missing < <(prerequisites_missing "$purpose")
  (( ${#missing[@]} )) || return 0
  local dry_run="${PREREQUISITES_DRY_RUN:-0}"
  local -a as_root=()
  # On a CI runner that is not root but may sudo without a password (CI=true), install with sudo; on
  # anyone else's machine, a non-root run only names the packages.
  if [[ "$(id -u)" != 0 && "${CI:-}" == true ]] && sudo -n true 2>/dev/null; then as_root=(sudo -n); fi
  if [[ "$(id -u)" != 0 && ${#as_root[@]} == 0 ]]; then
    printf '[prerequisites] missing %s: install them with: sudo apt-get install -y %s\n' "${missing[*]}" "${missing[*]}" >&2
    [[ "$dry_run" == 1 ]] && return 0
    exit 1
  fi
  if [[ "$dry_run" == 1 ]]; then
    printf '[prerequisites] would install: apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
    return 0
  fi
  command -v apt-get >/dev/null || { printf '[prerequisites] missing %s, and there is no apt-get to install them\n' "${missing[*]}" >&2; exit 1; }
  local log="${STREAMING_ARROW_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.local-stack}/apt.log"
  mkdir -p "$(dirname "$log")"
  printf '[prerequisites] installing %s from Debian'"'"'s packages (log %s)\n' "${missing[*]}" "$log" >&2
  # A fresh machine may have no package lists yet, and another apt (unattended upgrades) may hold the lock.
  local tries=0
  until "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1; do
    tries=$((tries + 1))
    if (( tries == 1 )); then "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1 || true; fi
    if (( tries > 20 )); then
      tail -n 20 "$log" >&2
      printf '[prerequisites] apt-get install %s failed (log %s)\n' "${missing[*]}" "$log" >&2
      exit 1
    fi
    sleep 5
  done
  mapfile -t missing < <(prerequisites_missing "$purpose")
  if (( ${#missing[@]} )); then
    printf '[prerequisites] still missing after apt-get install: %s\n' "${missing[*]}" >&2
    exit 1
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  if [[ "${1:-}" == --dry-run ]]; then PREREQUISITES_DRY_RUN=1; shift; fi
  [[ $# == 1 ]] || { echo "usage: $0 [--dry-run] stack|pipeline|test" >&2; exit 2; }
  missing_now="$(prerequisites_missing "$1")"
  if [[ -z "$missing_now" ]]; then echo "[prerequisites] everything $1 needs is installed" >&2; exit 0; fi
  prerequisites "$1"
fi
