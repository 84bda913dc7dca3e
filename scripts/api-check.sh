#!/usr/bin/env bash
# Checks the served OpenAPI document against the real server with
# schemathesis (PyPI): every response the server gives must be documented,
# of the documented content type and schema, and never a 5xx. Starts a demo
# server on a free loopback port with an enrolled device (its token lets the
# checks reach the authenticated routes), then stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build -q -p paicha-server
BIN="$TARGET/debug/paicha-server"
DATA=$(mktemp -d)
LOG="$DATA/server.log"
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
"$BIN" --data "$DATA" init --demo >/dev/null
CODE=$("$BIN" --data "$DATA" --json device add --device api-check --user admin-xu | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
"$BIN" --data "$DATA" serve --listen 127.0.0.1:0 >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$LOG" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$LOG" | head -1)
[ -n "$URL" ] || { echo "the server did not start:"; cat "$LOG"; exit 1; }
TOKEN=$(URL="$URL" CODE="$CODE" python3 - <<'PY'
import json, os, urllib.request
body = json.dumps({"code": os.environ["CODE"], "device_id": "api-check", "actor": "00112233445566778899aabbccddeeff"}).encode()
req = urllib.request.Request(os.environ["URL"] + "/v1/enroll", data=body, headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)
schemathesis run "$URL/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples 50 --seed 20261124 -H "Authorization: Bearer $TOKEN"
