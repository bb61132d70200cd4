#!/usr/bin/env bash
# Compiles Native Image's own C libraries for linux-amd64/glibc from a GraalVM source tree, for the toolchain
# (deploy/native/toolchain.sh --graal-sources DIR calls this; deploy/native/README.md says where the sources come from):
#   libchelper.a        from substratevm/src/com.oracle.svm.native.libchelper (C helpers the builder links as -llibchelper)
#   libjvm.a            from substratevm/src/com.oracle.svm.native.jvm.posix (the JVM_* shim the JDK's libraries call),
#                       plus aborting fallbacks for the JVM_* functions the JDK's libraries need and the shim lacks
#   libsvm_container.a  from substratevm/src/com.oracle.svm.native.libcontainer (cgroup support, C++)
#   include/            the headers the builder compiles its C queries against (libchelper's include/)
#
#   deploy/native/clibs.sh GRAAL_SOURCES OUT_DIR [JDK_LIB_DIR]
# GRAAL_SOURCES: the GraalVM repository root or its substratevm folder. JDK_LIB_DIR: where the JDK libraries the
# executables link are (the static ones of --jdk-static, else the JDK's lib/ with its shared objects); their undefined
# JVM_* symbols decide the fallbacks. The compiler flags are read from the tree's own substratevm/mx.substratevm/suite.py
# (the "linux" cflags of each project), so they match the sources; the commands below are what mx would run, spelled out.
set -euo pipefail

(( $# >= 2 )) || { echo "usage: $0 GRAAL_SOURCES OUT_DIR [JDK_LIB_DIR]" >&2; exit 2; }
SRC="$(cd "$1" && pwd)"
[[ -d "$SRC/substratevm" ]] && SRC="$SRC/substratevm"
OUT="$2"
JDK_LIBS="${3:-${NATIVE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/lib}"
JDK_HOME="${NATIVE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
log() { printf '[native-clibs] %s\n' "$*" >&2; }

suite="$SRC/mx.substratevm/suite.py"
for p in libchelper jvm.posix libcontainer; do
  [[ -d "$SRC/src/com.oracle.svm.native.$p" ]] || { log "$SRC/src/com.oracle.svm.native.$p is missing (not a GraalVM substratevm tree?)"; exit 1; }
done
[[ -f "$suite" ]] || { log "$suite is missing"; exit 1; }

# suite.py is a Python dict literal: read each project's linux cflags from it (<path:PROJECT> is that project's folder).
flags() {
  python3 - "$suite" "$1" "$SRC/src" <<'PY'
import ast, sys
suite_py, project, src = sys.argv[1:]
tree = ast.parse(open(suite_py).read())
suite = next(ast.literal_eval(n.value) for n in tree.body
             if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "suite")
p = suite["projects"][project]
if "os" in p:
    cflags = p["os"]["linux"]["cflags"]
else:
    cflags = p["os_arch"]["linux"]["<others>"]["cflags"]
for f in cflags:
    print(f.replace(f"<path:{project}>", f"{src}/{project}"))
PY
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/chelper" "$work/jvm" "$work/container" "$work/out/include"

# libchelper: every C file of the project, its include/ on the path (mx adds it for native projects).
mapfile -t cf < <(flags com.oracle.svm.native.libchelper)
log "libchelper: gcc ${cf[*]}"
proj="$SRC/src/com.oracle.svm.native.libchelper"
for c in "$proj"/src/*.c; do
  gcc "${cf[@]}" -I"$proj/include" -I"$proj/src" -c "$c" -o "$work/chelper/$(basename "$c" .c).o"
done
ar rcs "$work/out/libchelper.a" "$work/chelper"/*.o
cp "$proj"/include/*.h "$work/out/include/"

# libjvm: JvmFuncs.c with the JDK's headers (use_jdk_headers), and the fallbacks mx generates in the same way: every
# JVM_* symbol the JDK's libraries leave undefined that JvmFuncs.c does not implement becomes a function that says
# which one was called and aborts (they belong to classes Native Image replaces, so they are not reached).
mapfile -t jf < <(flags com.oracle.svm.native.jvm.posix)
log "libjvm: gcc ${jf[*]}"
proj="$SRC/src/com.oracle.svm.native.jvm.posix"
gcc "${jf[@]}" -I"$JDK_HOME/include" -I"$JDK_HOME/include/linux" -c "$proj/src/JvmFuncs.c" -o "$work/jvm/JvmFuncs.o"
grep -o 'JNICALL JVM_[A-Za-z0-9_]*' "$proj/src/JvmFuncs.c" | awk '{print $2}' | sort -u >"$work/implemented"
shopt -s nullglob
jdk_libs=("$JDK_LIBS"/*.a)
if (( ${#jdk_libs[@]} )); then
  for a in "${jdk_libs[@]}"; do nm --undefined-only "$a" 2>/dev/null | awk '{print $NF}'; done
else
  for so in "$JDK_LIBS"/lib*.so; do [[ "$(basename "$so")" == libjvm.so ]] || nm -D --undefined-only "$so" 2>/dev/null | awk '{print $NF}'; done
fi | sed 's/@.*//' | grep '^JVM_' | sort -u >"$work/needed"
shopt -u nullglob
[[ -s "$work/needed" ]] || { log "no undefined JVM_* symbols in the JDK libraries of $JDK_LIBS"; exit 1; }
{
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  echo 'static void missing(const char *name) { fprintf(stderr, "%s is not implemented in this native executable\n", name); abort(); }'
  comm -23 "$work/needed" "$work/implemented" | while read -r sym; do
    echo "__attribute__((visibility(\"default\"))) void $sym(void) { missing(\"$sym\"); }"
  done
} >"$work/jvm/JvmFuncsFallbacks.c"
gcc "${jf[@]}" -c "$work/jvm/JvmFuncsFallbacks.c" -o "$work/jvm/JvmFuncsFallbacks.o"
ar rcs "$work/out/libjvm.a" "$work/jvm"/*.o
log "libjvm: $(wc -l <"$work/implemented") functions of JvmFuncs.c, $(comm -23 "$work/needed" "$work/implemented" | wc -l) fallbacks"

# libsvm_container: every C++ file of the project (its include paths are among the suite's flags).
mapfile -t xf < <(flags com.oracle.svm.native.libcontainer)
log "libsvm_container: g++ ${xf[*]}"
proj="$SRC/src/com.oracle.svm.native.libcontainer"
i=0
while read -r cpp; do
  g++ "${xf[@]}" -c "$cpp" -o "$work/container/$((i++))-$(basename "$cpp" .cpp).o"
done < <(find "$proj/src" -name '*.cpp' | sort)
ar rcs "$work/out/libsvm_container.a" "$work/container"/*.o

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$work/out" "$OUT"
log "built $(ls "$OUT"/*.a | wc -l) C libraries into $OUT"
