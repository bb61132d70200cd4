#!/usr/bin/env bash
# Assembles a GraalVM-style home for native builds from what a fresh machine can get, and prints its path
# on the last line of output:
#   - the JDK: a copy of Temurin 25 (it has JVMCI), hard-linked where the file system allows;
#   - lib/svm/builder: the Native Image builder jars from Maven Central (deploy/native/builder-pom.xml);
#   - bin/native-image: deploy/native/launcher/NativeImageLauncher.java, compiled, in the driver's place
#     (Maven Central serves no driver);
#   - optionally, the C libraries that no registry serves (see deploy/native/README.md):
#       --graal-sources DIR  a GraalVM source tree (repository root or its substratevm folder): Native Image's
#                          C libraries are compiled from it (deploy/native/clibs.sh) into a cache beside the home,
#                          ~/.cache/streaming-arrow/native/clibs-<sources id>, unless already there, then installed;
#       --clibs DIR        ready-made C libraries for linux-amd64/glibc instead: libchelper.a, libjvm.a (the JVM
#                          shim) and, for container support, libsvm_container.a, with their include/ headers;
#       --jdk-static DIR   the JDK's static libraries (libjava.a, libnio.a, libnet.a, libzip.a, ...) of the
#                          same JDK update. Without it, the JDK's shared libraries stand in: lib/static holds
#                          linker scripts that name them, and the executables load them at run time from
#                          the home's lib/svm/jdk-shared (see README: the cost of that).
# With the builder alone, the home runs the builder through its analysis (deploy/native/analyze.sh); with
# the C libraries too it links executables: `./mvnw package -Dnative -Dquarkus.native.graalvm-home=HOME`.
#
# Environment: NATIVE_JAVA_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64), STREAMING_ARROW_NATIVE_HOME
# (default ~/.cache/streaming-arrow/native/graalvm-<builder>-<jdk>). Re-running refreshes the builder jars and
# the launcher, and keeps C libraries already installed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAVA_SRC="${NATIVE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
CLIBS=""
GRAAL_SOURCES=""
JDK_STATIC=""
while (( $# )); do
  case "$1" in
    --clibs) CLIBS="$(cd "$2" && pwd)"; shift 2 ;;
    --graal-sources) GRAAL_SOURCES="$(cd "$2" && pwd)"; shift 2 ;;
    --jdk-static) JDK_STATIC="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "usage: $0 [--graal-sources DIR | --clibs DIR] [--jdk-static DIR]" >&2; exit 2 ;;
  esac
done
[[ -z "$CLIBS" || -z "$GRAAL_SOURCES" ]] || { echo "$0: give --graal-sources or --clibs, not both" >&2; exit 2; }

log() { printf '[native-toolchain] %s\n' "$*" >&2; }

[[ -x "$JAVA_SRC/bin/java" ]] || { log "no JDK at $JAVA_SRC (apt-get install temurin-25-jdk, or set NATIVE_JAVA_HOME)"; exit 1; }
"$JAVA_SRC/bin/java" --list-modules | grep -q '^jdk.internal.vm.ci@' \
  || { log "$JAVA_SRC has no JVMCI module (jdk.internal.vm.ci): the builder cannot run on it"; exit 1; }
JDK_VERSION="$("$JAVA_SRC/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.version = //p')"
BUILDER_VERSION="$(sed -n 's:.*<native-image.builder.version>\(.*\)</native-image.builder.version>.*:\1:p' "$REPO/deploy/native/builder-pom.xml")"
HOME_DIR="${STREAMING_ARROW_NATIVE_HOME:-$HOME/.cache/streaming-arrow/native/graalvm-$BUILDER_VERSION-jdk-$JDK_VERSION}"

# The JDK part: a GraalVM home is a JDK; the builder finds lib/static under its own java.home.
if [[ ! -x "$HOME_DIR/bin/java" || "$(cat "$HOME_DIR/lib/svm/jdk-source" 2>/dev/null)" != "$JAVA_SRC $JDK_VERSION" ]]; then
  log "copying the JDK $JAVA_SRC ($JDK_VERSION) to $HOME_DIR"
  rm -rf "$HOME_DIR.tmp"
  mkdir -p "$(dirname "$HOME_DIR")"
  cp -al "$JAVA_SRC" "$HOME_DIR.tmp" 2>/dev/null || { rm -rf "$HOME_DIR.tmp"; cp -a "$JAVA_SRC" "$HOME_DIR.tmp"; }
  mkdir -p "$HOME_DIR.tmp/lib/svm"
  echo "$JAVA_SRC $JDK_VERSION" >"$HOME_DIR.tmp/lib/svm/jdk-source"
  if [[ -d "$HOME_DIR/lib/svm/clibraries" ]]; then cp -a "$HOME_DIR/lib/svm/clibraries" "$HOME_DIR.tmp/lib/svm/"; fi
  if [[ -d "$HOME_DIR/lib/static" ]]; then cp -a "$HOME_DIR/lib/static" "$HOME_DIR.tmp/lib/"; fi
  rm -rf "$HOME_DIR"
  mv "$HOME_DIR.tmp" "$HOME_DIR"
fi
SVM="$HOME_DIR/lib/svm"

# The builder: resolved by Maven into ~/.m2 (cached there across runs), linked into lib/svm/builder.
# Skipped when the home already links every jar of this version and they are all still there.
if [[ "$(cat "$SVM/builder-version" 2>/dev/null)" == "$BUILDER_VERSION" && -s "$SVM/builder-classpath" ]] \
   && tr ':' '\n' <"$SVM/builder-classpath" | while read -r jar || [[ -n "$jar" ]]; do [[ -z "$jar" || -f "$jar" ]] || exit 1; done; then
  log "Native Image builder $BUILDER_VERSION already in place"
else
  log "resolving the Native Image builder $BUILDER_VERSION from Maven Central"
  CP_FILE="$(mktemp)"
  trap 'rm -f "$CP_FILE"' EXIT
  (cd "$REPO" && ./mvnw -B -q -f deploy/native/builder-pom.xml dependency:build-classpath \
    -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=runtime >&2)
  rm -rf "$SVM/builder"
  mkdir -p "$SVM/builder"
  tr ':' '\n' <"$CP_FILE" | while read -r jar || [[ -n "$jar" ]]; do
    [[ -n "$jar" ]] && ln -s "$jar" "$SVM/builder/$(basename "$jar")"
  done
  cp "$CP_FILE" "$SVM/builder-classpath"
  echo "$BUILDER_VERSION" >"$SVM/builder-version"
fi

# The launcher in the driver's place.
rm -rf "$SVM/launcher"
mkdir -p "$SVM/launcher"
"$HOME_DIR/bin/javac" -nowarn -d "$SVM/launcher" "$REPO/deploy/native/launcher/NativeImageLauncher.java" \
  "$REPO/deploy/native/launcher/AnalysisHeaders.java"
# The headers of Native Image's C library that the builder reads before analysis, derived from the builder's
# own declarations (clibraries/include is searched last: real headers from --clibs take precedence).
rm -rf "$SVM/clibraries/include"
"$HOME_DIR/bin/java" -cp "$SVM/launcher" AnalysisHeaders "$SVM/clibraries" "$SVM"/builder/*.jar
mkdir -p "$SVM/builder/lib"
cc -shared -fPIC -O2 -I"$HOME_DIR/include" -I"$HOME_DIR/include/linux" -o "$SVM/builder/lib/libreporterchelper.so" \
  "$REPO/deploy/native/launcher/reporterchelper.c"
cat >"$HOME_DIR/bin/native-image" <<'LAUNCH'
#!/usr/bin/env bash
# native-image of an assembled toolchain (deploy/native/toolchain.sh): the launcher runs the builder.
home="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
exec "$home/bin/java" -Xmx256m -XX:TieredStopAtLevel=1 -Dnative-image.home="$home" \
  -cp "$home/lib/svm/launcher" NativeImageLauncher "$@"
LAUNCH
chmod +x "$HOME_DIR/bin/native-image"

# C libraries from sources: compiled once per source tree and JDK library set into a cache outside the repository.
if [[ -n "$GRAAL_SOURCES" ]]; then
  svm_src="$GRAAL_SOURCES"; [[ -d "$svm_src/substratevm" ]] && svm_src="$svm_src/substratevm"
  jdk_libs="${JDK_STATIC:-$JAVA_SRC/lib}"
  # The cache key: the sources the libraries are made of, the JDK libraries that decide libjvm's fallbacks, clibs.sh.
  key="$( { find "$svm_src/src/com.oracle.svm.native.libchelper" "$svm_src/src/com.oracle.svm.native.jvm.posix" \
              "$svm_src/src/com.oracle.svm.native.libcontainer" "$svm_src/mx.substratevm/suite.py" -type f -print0 \
              | sort -z | xargs -0 sha256sum | awk '{print $1}'; echo "$jdk_libs $JDK_VERSION"; \
            sha256sum "$REPO/deploy/native/clibs.sh" | awk '{print $1}'; } | sha256sum | cut -c1-12)"
  CLIBS="$(dirname "$HOME_DIR")/clibs-$key"
  if [[ -f "$CLIBS/libchelper.a" && -f "$CLIBS/libjvm.a" && -f "$CLIBS/libsvm_container.a" ]]; then
    log "Native Image C libraries already built from $svm_src: $CLIBS"
  else
    log "compiling Native Image C libraries from $svm_src into $CLIBS"
    NATIVE_JAVA_HOME="$JAVA_SRC" "$REPO/deploy/native/clibs.sh" "$svm_src" "$CLIBS" "$jdk_libs"
  fi
fi

# The C libraries, when given (the directory exists either way: the builder lists it after analysis).
CLIB_DIR="$SVM/clibraries/linux-amd64/glibc"
mkdir -p "$CLIB_DIR"
if [[ -n "$CLIBS" ]]; then
  for lib in libchelper.a libjvm.a; do
    [[ -f "$CLIBS/$lib" ]] || { log "$CLIBS has no $lib"; exit 1; }
  done
  mkdir -p "$CLIB_DIR"
  cp "$CLIBS"/*.a "$CLIB_DIR/"
  # The builder links Native Image's C helper as -llibchelper (@CLibrary("libchelper")).
  mv "$CLIB_DIR/libchelper.a" "$CLIB_DIR/liblibchelper.a"
  rm -rf "$SVM/clibraries/linux-amd64/include"
  if [[ -d "$CLIBS/include" ]]; then cp -r "$CLIBS/include" "$SVM/clibraries/linux-amd64/"; fi
  log "installed $(ls "$CLIBS"/*.a | wc -l) C libraries from $CLIBS"
fi
STATIC_DIR="$HOME_DIR/lib/static/linux-amd64/glibc"
if [[ -n "$JDK_STATIC" ]]; then
  rm -rf "$STATIC_DIR" "$SVM/jdk-shared"
  mkdir -p "$STATIC_DIR"
  cp "$JDK_STATIC"/*.a "$STATIC_DIR/"
  log "installed the JDK's static libraries from $JDK_STATIC"
elif [[ -n "$CLIBS" || -d "$SVM/jdk-shared" ]]; then
  # No static JDK: each lib<name>.a is a GNU ld script naming the JDK's lib<name>.so, copied to jdk-shared.
  # The JDK's libraries need a libjvm.so; in a native executable the JVM_* functions they call come from
  # the executable itself, so jdk-shared holds an empty libjvm.so that only satisfies the dependency.
  rm -rf "$STATIC_DIR" "$SVM/jdk-shared"
  mkdir -p "$STATIC_DIR" "$SVM/jdk-shared"
  for so in "$HOME_DIR"/lib/lib{java,nio,net,zip,extnet,jimage,management,management_ext,prefs,jaas,j2gss,j2pkcs11,sctp,verify,attach,instrument,syslookup}.so; do
    [[ -f "$so" ]] || continue
    cp "$so" "$SVM/jdk-shared/"
  done
  # What a static JDK library has and its shared build does not, in libjdkstandin.a (each ld script names it
  # after the shared library): Native Image calls JNI_OnLoad_<name> of every built-in library (the static
  # build's name for its JNI_OnLoad), here a forwarder to the shared library's own JNI_OnLoad (libnet's sets
  # up IPv4/IPv6 availability) or, where it has none, a plain version answer; and libchelper's time-zone helper
  # calls libjava's findJavaTZ_md, which the shared libjava.so keeps hidden: its address is taken from
  # libjava.so's symbol table (offset from the library's load address), so the executable runs the JDK's own code.
  tz_offset="$(nm "$SVM/jdk-shared/libjava.so" | awk '$3 == "findJavaTZ_md" {print "0x" $1}')"
  [[ -n "$tz_offset" ]] || { log "libjava.so has no findJavaTZ_md in its symbol table (stripped?)"; exit 1; }
  standin="$(mktemp -d)"
  {
    echo '#define _GNU_SOURCE'
    echo '#include <dlfcn.h>'
    echo '#include <stddef.h>'
    echo '#include <jni.h>'
    echo 'typedef jint (*onload_t)(JavaVM *, void *);'
    echo 'static jint forward(const char *so, JavaVM *vm, void *reserved) {'
    echo '  void *h = dlopen(so, RTLD_LAZY | RTLD_NOLOAD); onload_t f = h ? (onload_t) dlsym(h, "JNI_OnLoad") : NULL;'
    # A built-in library's JNI_OnLoad_<lib> must answer JNI 1.8 or newer (Native Image refuses the executable's start
    # otherwise: "Unsupported JNI version 0x10002, required by java"); the shared libraries' JNI_OnLoad answer 1.2.
    echo '  jint v = f ? f(vm, reserved) : JNI_VERSION_1_8;'
    echo '  return v < 0 ? v : (v < JNI_VERSION_1_8 ? JNI_VERSION_1_8 : v); }'
    for so in "$SVM"/jdk-shared/lib*.so; do
      name="$(basename "$so" .so)"
      if nm -D --defined-only "$so" | awk '{ sub(/@.*/, "", $3) } $3 == "JNI_OnLoad" { found = 1 } END { exit !found }'; then
        echo "JNIEXPORT jint JNICALL JNI_OnLoad_${name#lib}(JavaVM *vm, void *r) { return forward(\"$name.so\", vm, r); }"
      else
        echo "JNIEXPORT jint JNICALL JNI_OnLoad_${name#lib}(JavaVM *vm, void *r) { (void) vm; (void) r; return JNI_VERSION_1_8; }"
      fi
    done
    echo 'char *findJavaTZ_md(const char *java_home) {'
    echo '  static char *(*f)(const char *) = NULL;'
    echo '  if (f == NULL) { void *h = dlopen("libjava.so", RTLD_LAZY | RTLD_NOLOAD); void *anchor = h ? dlsym(h, "JNI_OnLoad") : NULL; Dl_info info;'
    echo "    if (anchor != NULL && dladdr(anchor, &info) != 0) f = (char *(*)(const char *)) ((char *) info.dli_fbase + $tz_offset); }"
    echo '  return f != NULL ? f(java_home) : NULL; }'
  } >"$standin/jdkstandin.c"
  cc -c -fPIC -O2 -I"$HOME_DIR/include" -I"$HOME_DIR/include/linux" -o "$standin/jdkstandin.o" "$standin/jdkstandin.c"
  ar rcs "$SVM/jdk-shared/libjdkstandin.a" "$standin/jdkstandin.o"
  rm -rf "$standin"
  for so in "$SVM"/jdk-shared/lib*.so; do
    name="$(basename "$so" .so)"
    printf 'INPUT(%s %s)\n' "$so" "$SVM/jdk-shared/libjdkstandin.a" >"$STATIC_DIR/$name.a"
  done
  # The JDK's libraries bind every symbol at load (BIND_NOW) against version SUNWprivate_1.1 of libjvm.so.
  # The libjvm.so here carries Native Image's JVM shim (libjvm.a, the same functions the executable links)
  # and, for every other JVM symbol they reference, a stub that stops the process with its name: those are
  # natives of classes Native Image substitutes, never called.
  work="$(mktemp -d)"
  for so in "$SVM"/jdk-shared/lib*.so; do nm -D --undefined-only "$so" | awk '{print $2}' | sed 's/@.*//'; done | sort -u >"$work/undefined"
  nm -D --defined-only "$HOME_DIR/lib/server/libjvm.so" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$work/jvm"
  shim=()
  if [[ -f "$CLIB_DIR/libjvm.a" ]]; then
    # Exported shim functions serve as they are; its hidden ones are made local to it (the JDK's libraries
    # need jio_vsnprintf and jio_vfprintf, which become plain forwarders to libc below).
    readelf -s --wide "$CLIB_DIR/libjvm.a" | awk '$5 == "GLOBAL" && $6 == "DEFAULT" && $7 != "UND" {print $8}' | sort -u >"$work/shim"
    readelf -s --wide "$CLIB_DIR/libjvm.a" | awk '$5 == "GLOBAL" && $6 == "HIDDEN" && $7 != "UND" {print "--localize-symbol=" $8}' | sort -u >"$work/hidden"
    objcopy $(cat "$work/hidden") "$CLIB_DIR/libjvm.a" "$work/libjvm-shim.a"
    shim=(-Wl,--whole-archive "$work/libjvm-shim.a" -Wl,--no-whole-archive)
  else
    : >"$work/shim"
  fi
  {
    echo '#include <stdarg.h>'
    echo '#include <stdio.h>'
    echo '#include <stdlib.h>'
    echo 'static void stub(const char *name) { fprintf(stderr, "JDK library called JVM function %s, which this native executable does not provide\n", name); abort(); }'
    # The shim asks the executable whether it is static; this library is loaded dynamically.
    echo 'int __svm_vm_is_static_binary = 0;'
    echo 'int jio_vsnprintf(char *buf, size_t len, const char *fmt, va_list args) { return vsnprintf(buf, len, fmt, args); }'
    echo 'int jio_vfprintf(FILE *file, const char *fmt, va_list args) { return vfprintf(file, fmt, args); }'
    # (None left when the shim carries its fallbacks, as clibs.sh builds it: grep then finds nothing.)
    comm -12 "$work/undefined" "$work/jvm" | comm -23 - "$work/shim" | { grep -v -x -e jio_vsnprintf -e jio_vfprintf || true; } | while read -r sym; do
      echo "void $sym(void) { stub(\"$sym\"); }"
    done
  } >"$work/stubs.c"
  echo 'SUNWprivate_1.1 { global: *; };' >"$work/version"
  cc -shared -fPIC -O1 -Wl,-soname,libjvm.so -Wl,--version-script="$work/version" -o "$SVM/jdk-shared/libjvm.so" \
    "$work/stubs.c" "${shim[@]}" -ldl -lpthread
  rm -rf "$work"
  log "JDK static libraries stand-in: linker scripts over the shared libraries in $SVM/jdk-shared"
fi

if [[ -f "$CLIB_DIR/liblibchelper.a" && -f "$CLIB_DIR/libjvm.a" && -e "$STATIC_DIR/libjava.a" ]]; then
  log "complete toolchain (builder, C libraries, JDK libraries): $HOME_DIR"
else
  log "builder only (enough for deploy/native/analyze.sh; C libraries missing for linking): $HOME_DIR"
fi
echo "$HOME_DIR"
