#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, from the registries
# this project uses: the Kotlin compiler (npm package kotlin-compiler, pinned)
# into .tools/, and JNA from Debian (libjna-java); for the web console's
# browser tests, Debian's chromium and fonts-noto-cjk (the pages are Chinese)
# and npm playwright-core (pinned) into .tools/playwright. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

KOTLIN_VERSION=2.4.20
PLAYWRIGHT_VERSION=1.65.1
rustup component add rustfmt clippy >/dev/null 2>&1 || true

if [ ! -x .tools/kotlin/node_modules/kotlin-compiler/bin/kotlinc ] || \
   [ "$(cat .tools/kotlin/node_modules/kotlin-compiler/build.txt 2>/dev/null)" != "$KOTLIN_VERSION" ]; then
  echo "installing kotlin-compiler@$KOTLIN_VERSION (npm) into .tools/kotlin"
  mkdir -p .tools/kotlin
  (cd .tools/kotlin && npm install --no-audit --no-fund --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
fi

# OpenSSL's libcrypto and headers: SQLCipher (the tablet's encrypted store) links it.
if [ ! -f /usr/include/openssl/evp.h ]; then
  echo "installing libssl-dev (Debian) for SQLCipher"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libssl-dev pkg-config >/dev/null
fi

if [ ! -f /usr/share/java/jna.jar ]; then
  echo "installing libjna-java (Debian)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libjna-java >/dev/null
fi

# The standalone S3 API server the object-store photo tests run against.
if ! command -v moto_server >/dev/null 2>&1; then
  echo "installing moto[server] (PyPI) for the S3 tests"
  python3 -m pip install --quiet "moto[server]" >/dev/null
fi

# The SMTP server R10's notice emails are delivered to in tests/tests/notices.rs.
if ! python3 -c "import aiosmtpd" >/dev/null 2>&1; then
  echo "installing aiosmtpd (PyPI) for the notice tests"
  python3 -m pip install --quiet aiosmtpd >/dev/null
fi

# schemathesis checks the served OpenAPI document against the real server.
if ! command -v schemathesis >/dev/null 2>&1; then
  echo "installing schemathesis (PyPI)"
  python3 -m pip install --quiet schemathesis >/dev/null
fi

# Printed documents (pdf/tests, tests/tests/documents.rs) are read back with
# pdftotext and rendered with pdftoppm (poppler-utils), in the Noto CJK font.
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  echo "installing poppler-utils (Debian)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq poppler-utils >/dev/null
fi

# The web console's browser tests (tests/browser/): headless Chromium from
# Debian, driven by playwright-core with the browser's executable path (no
# browser download), and CJK fonts so the Chinese pages render in screenshots.
if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/opentype/noto ]; then
  echo "installing chromium and fonts-noto-cjk (Debian)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
if [ "$(node -p "require('./.tools/playwright/node_modules/playwright-core/package.json').version" 2>/dev/null)" != "$PLAYWRIGHT_VERSION" ]; then
  echo "installing playwright-core@$PLAYWRIGHT_VERSION (npm) into .tools/playwright"
  mkdir -p .tools/playwright
  (cd .tools/playwright && npm install --no-audit --no-fund --silent "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)
fi
