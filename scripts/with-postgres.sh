#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 cluster:
#
#   bash scripts/with-postgres.sh cargo test -p paicha-server
#
# The cluster lives in a temporary directory, listens on 127.0.0.1 on a free
# port with trust authentication, and is stopped and removed when the
# command ends, whatever its outcome. The command finds it in
# PAICHA_TEST_POSTGRES (postgres://postgres@127.0.0.1:PORT/postgres) and may
# create and drop databases there. The script exits with the command's status.
#
# Needs PostgreSQL 15's server programs (Debian: package postgresql-15, in
# /usr/lib/postgresql/15/bin); installs package `postgresql` with apt-get if
# they are missing (as root, or through sudo). Run as root, the cluster runs
# as the `postgres` user (initdb refuses root); otherwise as the caller.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash scripts/with-postgres.sh COMMAND [ARGS...]" >&2
  exit 2
fi

PGBIN="${PAICHA_PGBIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
  echo "with-postgres: $PGBIN/initdb not found; installing PostgreSQL (apt-get install postgresql)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "with-postgres: still no $PGBIN/initdb after installing postgresql (another major version?);" \
      "set PAICHA_PGBIN to the directory of initdb and pg_ctl" >&2
    exit 1
  fi
fi

# As root, run the server programs as `postgres`.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'EOF' 2>/dev/null && return 0
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
  # Without python3: a random high port not answering on loopback.
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

DIR="$(mktemp -d "${TMPDIR:-/tmp}/paicha-pg.XXXXXX")"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DIR"; fi
chmod 700 "$DIR"
started=0
cleanup() {
  if [ "$started" -eq 1 ]; then
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_owner "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
  cat "$DIR/initdb.log" >&2
  exit 1
}

# Durability is not wanted from a throwaway cluster for tests: no fsync.
# Benchmarks set PAICHA_PG_DURABLE=1 to measure with PostgreSQL's defaults
# (fsync on every commit), as a production server runs.
DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${PAICHA_PG_DURABLE:-0}" = 1 ]; then DURABILITY=""; fi

# A port can be taken between choosing and binding it: try a few.
for attempt in 1 2 3 4 5; do
  PORT="$(free_port)"
  if as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=300 $DURABILITY" \
    start >/dev/null; then
    started=1
    break
  fi
  echo "with-postgres: could not start on port $PORT (attempt $attempt)" >&2
done
if [ "$started" -ne 1 ]; then
  cat "$DIR/server.log" >&2 || true
  exit 1
fi

export PAICHA_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (PAICHA_TEST_POSTGRES=$PAICHA_TEST_POSTGRES)" >&2
status=0
"$@" || status=$?
exit "$status"
