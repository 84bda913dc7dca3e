#!/usr/bin/env bash
# Runs every test: the Rust workspace (unit, property, CLI, scenario tests
# against the real server), then the Kotlin (JVM) and Python bindings tests
# against the real library and a real server, and generates the Swift
# bindings. Installs the Kotlin compiler and JNA first if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

bash scripts/install-tools.sh

echo "== Rust workspace"
cargo test --workspace

echo "== bindings"
cargo build -p paicha-ffi -p paicha-server
LIB=target/debug/libpaicha_ffi.so
BINDGEN="cargo run -q -p paicha-ffi --features bindgen --bin uniffi-bindgen -- generate --library $LIB --no-format"
rm -rf target/bindings
$BINDGEN --language python --out-dir target/bindings/python
$BINDGEN --language kotlin --out-dir target/bindings/kotlin
$BINDGEN --language swift --out-dir target/bindings/swift
test -s target/bindings/swift/Paicha.swift && test -s target/bindings/swift/paichaFFI.h
cp "$LIB" target/bindings/python/

echo "== Python bindings (real library, real server)"
PAICHA_SERVER_BIN=target/debug/paicha-server PYTHONPATH=target/bindings/python \
  python3 ffi/tests/python/test_bindings.py

echo "== Kotlin bindings on the JVM (real library, real server)"
K=.tools/kotlin/node_modules/kotlin-compiler
JNA=/usr/share/java/jna.jar
"$K/bin/kotlinc" -nowarn target/bindings/kotlin/cn/paicha/paicha_ffi.kt ffi/tests/kotlin/BindingsTest.kt \
  android-demo/app/src/main/java/cn/paicha/demo/model/*.kt android-demo/app/src/test/java/cn/paicha/demo/*.kt \
  -cp "$JNA:$K/lib/kotlin-test.jar" -d target/kotlin-tests.jar 2>&1 | grep -v '^warning:' || true
test -s target/kotlin-tests.jar
CP="target/kotlin-tests.jar:$JNA:$K/lib/kotlin-stdlib.jar:$K/lib/kotlin-test.jar"
PAICHA_SERVER_BIN=target/debug/paicha-server java -Djna.library.path=target/debug -cp "$CP" BindingsTestKt
PAICHA_SERVER_BIN=target/debug/paicha-server java -Djna.library.path=target/debug -cp "$CP" cn.paicha.demo.DemoScreensTestKt
