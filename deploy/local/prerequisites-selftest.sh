#!/usr/bin/env bash
# Checks deploy/local/prerequisites.sh without changing the machine: it runs it with a PATH from which
# the test tools (chromium, node, npm, kubectl, python3, javac) are hidden, and a stub apt-get that
# records what it was asked to install and "installs" by putting the hidden tools back on that PATH.
#
#   deploy/local/prerequisites-selftest.sh        # about 10 s; prints each case and exits 1 on a failure
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREREQUISITES="$REPO/deploy/local/prerequisites.sh"
WORK="$(mktemp -d)"
chmod 755 "$WORK"   # the non-root case runs as nobody
trap 'rm -rf "$WORK"' EXIT
FAKEBIN="$WORK/bin"
mkdir -p "$FAKEBIN"

HIDDEN=(chromium node npm npx kubectl python3 javac)
declare -A PACKAGE_TOOLS=([chromium]=chromium [nodejs]=node [npm]="npm npx" [kubernetes-client]=kubectl
  [python3]=python3 [openjdk-17-jdk-headless]=javac)

# Every command of the system directories (the first of a name wins, as on PATH), except the hidden
# ones and apt-get, whose stub follows.
for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  ln -s "$dir"/* "$FAKEBIN"/ 2>/dev/null || true
done
declare -A REAL=()
for tool in "${HIDDEN[@]}"; do REAL[$tool]="$(command -v "$tool" || true)"; done
rm -f "$FAKEBIN"/apt-get "$FAKEBIN"/python3.*

# The stub apt-get: "update" is recorded; "install" records the packages and, unless told to fail,
# links the tools of each package back from where they really are.
cat >"$FAKEBIN/apt-get" <<EOF
#!/usr/bin/env bash
echo "apt-get \$*" >>"$WORK/apt-calls"
[[ "\$1" == update ]] && exit 0
if [[ -f "$WORK/fail-installs" ]] && (( \$(cat "$WORK/fail-installs") > 0 )); then
  echo \$(( \$(cat "$WORK/fail-installs") - 1 )) >"$WORK/fail-installs"; exit 100
fi
[[ -f "$WORK/install-nothing" ]] && exit 0
for package in "\$@"; do
  case "\$package" in
$(for p in "${!PACKAGE_TOOLS[@]}"; do
    printf '    %s) ' "$p"
    for t in ${PACKAGE_TOOLS[$p]}; do printf 'ln -sf %q %q; ' "${REAL[$t]:-/bin/true}" "$FAKEBIN/$t"; done
    printf ';;\n'
  done)
  esac
done
EOF
chmod +x "$FAKEBIN/apt-get"

failures=0
check() { # description expected-exit expected-output-substring command...
  local what="$1" want_rc="$2" want_text="$3"; shift 3
  local out rc=0
  out="$("$@" 2>&1)" || rc=$?
  if [[ "$rc" == "$want_rc" && "$out" == *"$want_text"* ]]; then
    printf 'ok    %s\n' "$what"
  else
    printf 'FAIL  %s: exit %s (wanted %s), output:\n%s\n' "$what" "$rc" "$want_rc" "$out"
    failures=$((failures + 1))
  fi
}
run_as_root() { env -u JAVA_HOME -u CHROMIUM PATH="$FAKEBIN" STREAMING_ARROW_HOME="$WORK/home" bash "$PREREQUISITES" "$@"; }
run_as_nobody() {
  setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -u JAVA_HOME -u CHROMIUM -u CI PATH="$FAKEBIN" HOME=/tmp bash "$PREREQUISITES" "$@"
}
reset_tools() { for tool in "${HIDDEN[@]}"; do rm -f "$FAKEBIN/$tool"; done; rm -f "$WORK/apt-calls" "$WORK/fail-installs" "$WORK/install-nothing"; }

[[ "$(id -u)" == 0 ]] || { echo "run this as root: it also checks the non-root message through setpriv" >&2; exit 2; }

reset_tools
check "dry run names the test tools' packages" 0 \
  "would install: apt-get install -y --no-install-recommends openjdk-17-jdk-headless nodejs npm chromium kubernetes-client python3" \
  run_as_root --dry-run test
check "the stack and the pipeline need only the JDK of those" 0 \
  "would install: apt-get install -y --no-install-recommends openjdk-17-jdk-headless" run_as_root --dry-run pipeline
check "without root: one line naming the packages, exit 1" 1 \
  "missing openjdk-17-jdk-headless nodejs npm chromium kubernetes-client python3: install them with: sudo apt-get install -y openjdk-17-jdk-headless nodejs npm chromium kubernetes-client python3" \
  run_as_nobody test
check "as root: installs them, then finds them" 0 "installing openjdk-17-jdk-headless nodejs npm chromium kubernetes-client python3" \
  run_as_root test
check "... with one apt-get install call" 0 "apt-get install -y -q --no-install-recommends openjdk-17-jdk-headless nodejs npm chromium kubernetes-client python3" \
  cat "$WORK/apt-calls"
check "once they are there, nothing to do" 0 "everything test needs is installed" run_as_root test

reset_tools
ln -s "${REAL[kubectl]:-/bin/true}" "$FAKEBIN/kubectl"   # a kubectl from some other package
check "a kubectl already on PATH is used: kubernetes-client is not installed" 0 \
  "would install: apt-get install -y --no-install-recommends openjdk-17-jdk-headless nodejs npm chromium python3" \
  run_as_root --dry-run test

reset_tools
echo 1 >"$WORK/fail-installs"
check "a failed install (no package lists yet) is retried after apt-get update" 0 "installing" run_as_root test
check "... update was called between the two installs" 0 "apt-get update -q" cat "$WORK/apt-calls"

reset_tools
touch "$WORK/install-nothing"
check "apt-get succeeding without providing the tools is an error" 1 "still missing after apt-get install" run_as_root test

if (( failures )); then echo "$failures case(s) failed" >&2; exit 1; fi
echo "all cases passed"
