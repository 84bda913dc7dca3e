#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, property, CLI, scenario tests
# against the real server; the server's storage conformance suite on SQLite
# and on a throwaway PostgreSQL 15 cluster that scripts/with-postgres.sh
# starts, installing Debian's `postgresql` if it is missing), then the
# Kotlin (JVM) and Python bindings tests against the real library and a real
# server, and generates the Swift bindings; the web console's browser tests
# (headless Chromium through playwright-core, tests/browser/) run with the
# Rust workspace and once more on their own below, so a missing browser is a
# failure with a message, never a silent skip. Installs the Kotlin compiler,
# JNA, Chromium and playwright-core first if they are missing.
# Honours CARGO_TARGET_DIR: every build output is read from $TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
TARGET="${CARGO_TARGET_DIR:-target}"

bash scripts/install-tools.sh

echo "== Rust workspace (the server's storage and one scenario also on a throwaway PostgreSQL)"
bash scripts/with-postgres.sh cargo test --workspace

echo "== web console in headless Chromium (playwright-core, real server; screenshots in docs/screenshots)"
command -v chromium >/dev/null 2>&1 || { echo "chromium is missing: scripts/install-tools.sh should have installed it" >&2; exit 1; }
cargo test -q -p paicha-scenarios --test browser_console

echo "== OpenAPI document against the real server (schemathesis)"
bash scripts/api-check.sh

echo "== bindings"
cargo build -p paicha-ffi -p paicha-server
cargo build -p paicha-scenarios --bin test-ca
LIB="$TARGET/debug/libpaicha_ffi.so"
SERVER="$TARGET/debug/paicha-server"
BINDINGS="$TARGET/bindings"
bindgen() {
  cargo run -q -p paicha-ffi --features bindgen --bin uniffi-bindgen -- generate --library "$LIB" --no-format "$@"
}
rm -rf "$BINDINGS"
bindgen --language python --out-dir "$BINDINGS/python"
bindgen --language kotlin --out-dir "$BINDINGS/kotlin"
bindgen --language swift --out-dir "$BINDINGS/swift"
test -s "$BINDINGS/swift/Paicha.swift" && test -s "$BINDINGS/swift/paichaFFI.h"
cp "$LIB" "$BINDINGS/python/"

echo "== Python bindings (real library, real server)"
PAICHA_SERVER_BIN="$SERVER" PAICHA_TEST_CA_BIN="$TARGET/debug/test-ca" PYTHONPATH="$BINDINGS/python" \
  python3 ffi/tests/python/test_bindings.py

echo "== Kotlin bindings on the JVM (real library, real server)"
K=.tools/kotlin/node_modules/kotlin-compiler
JNA=/usr/share/java/jna.jar
COROUTINES="$K/lib/kotlinx-coroutines-core-jvm.jar"
test -f "$COROUTINES" || { echo "$COROUTINES is missing: the Android demo's view models need kotlinx-coroutines-core" >&2; exit 1; }
# kotlinc SOURCES... JAR EXTRA_CP: compiles, or fails the script with kotlinc's output.
# A jar left by an earlier run must not stand in for a failed compilation.
compile_kotlin() {
  local jar="$1" cp="$2" log="${1%.jar}.log"
  shift 2
  rm -f "$jar"
  local status=0
  "$K/bin/kotlinc" -nowarn "$@" -cp "$cp" -d "$jar" >"$log" 2>&1 || status=$?
  grep -v '^warning:' "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "kotlinc failed (exit status $status) for $jar; its full output is in $log" >&2
    exit "$status"
  fi
  test -s "$jar" || { echo "kotlinc wrote no $jar" >&2; exit 1; }
}
compile_kotlin "$TARGET/kotlin-tests.jar" "$JNA:$K/lib/kotlin-test.jar" \
  "$BINDINGS/kotlin/cn/paicha/paicha_ffi.kt" ffi/tests/kotlin/BindingsTest.kt
CP="$TARGET/kotlin-tests.jar:$JNA:$K/lib/kotlin-stdlib.jar:$K/lib/kotlin-test.jar"
PAICHA_SERVER_BIN="$SERVER" PAICHA_TEST_CA_BIN="$TARGET/debug/test-ca" \
  java -Djna.library.path="$TARGET/debug" -cp "$CP" BindingsTestKt

echo "== Android demo: the app's view models on the JVM (real library, real server; no Android SDK here)"
# The view models (android-demo/app/src/main/java/cn/paicha/demo/model, plain
# Kotlin + kotlinx-coroutines-core) and their tests; the Android layer
# (MainActivity and the androidx wrappers) needs the Android SDK and is not
# compiled here (android-demo/README.md).
compile_kotlin "$TARGET/android-demo-tests.jar" "$JNA:$COROUTINES:$K/lib/kotlin-test.jar" \
  "$BINDINGS/kotlin/cn/paicha/paicha_ffi.kt" \
  android-demo/app/src/main/java/cn/paicha/demo/model/*.kt android-demo/app/src/test/java/cn/paicha/demo/*.kt
CP="$TARGET/android-demo-tests.jar:$JNA:$COROUTINES:$K/lib/kotlin-stdlib.jar:$K/lib/kotlin-test.jar"
PAICHA_SERVER_BIN="$SERVER" PAICHA_TEST_CA_BIN="$TARGET/debug/test-ca" \
  java -Djna.library.path="$TARGET/debug" -cp "$CP" cn.paicha.demo.ViewModelsTestKt
