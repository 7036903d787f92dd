#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster:
#
#   scripts/with-postgres.sh COMMAND [ARGS...]
#
# Creates a cluster in a fresh temp dir, starts it on 127.0.0.1 only (trust auth, no
# password: nothing else can reach it), creates database "afterglow", runs COMMAND with
# DATABASE_URL=postgres://postgres@127.0.0.1:PORT/afterglow, then stops the server and
# deletes the cluster whatever happened. Exits with COMMAND's exit code.
#
# PostgreSQL's server binaries are looked up in $AFTERGLOW_PG_BINDIR, then Debian's
# /usr/lib/postgresql/<newest>/bin, then initdb on PATH. If none is found and this runs
# as root, Debian's postgresql package is installed. As root the server runs as the
# `postgres` user (PostgreSQL refuses to run as root), which is created if missing.
#
#   AFTERGLOW_PG_PORT   first port to try (default 55432; the next free one is used)
set -euo pipefail

say() { echo "with-postgres: $*" >&2; }

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

find_bindir() {
    local dir
    if [ -n "${AFTERGLOW_PG_BINDIR:-}" ]; then
        [ -x "$AFTERGLOW_PG_BINDIR/initdb" ] && { echo "$AFTERGLOW_PG_BINDIR"; return 0; }
        say "AFTERGLOW_PG_BINDIR=$AFTERGLOW_PG_BINDIR has no initdb"
        return 1
    fi
    # Debian keeps the server binaries out of PATH, one directory per major version.
    dir="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
        return 0
    fi
    if command -v initdb >/dev/null 2>&1; then
        # Resolve symlinks (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb)
        # so pg_ctl, postgres and pg_isready come from the same installation.
        dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
        if [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    fi
    return 1
}

IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

if ! BINDIR="$(find_bindir)"; then
    if [ "$IS_ROOT" -eq 1 ] && command -v apt-get >/dev/null 2>&1; then
        say "PostgreSQL server not found; installing Debian's postgresql package."
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends postgresql >&2
    fi
    if ! BINDIR="$(find_bindir)"; then
        cat >&2 <<'EOF'
with-postgres: no PostgreSQL server binaries (initdb, pg_ctl) were found. Install them
with `sudo apt-get install postgresql` (Debian/Ubuntu), or set AFTERGLOW_PG_BINDIR to
the directory that holds initdb, pg_ctl and postgres.
EOF
        exit 1
    fi
fi

# PostgreSQL will not run as root: use the postgres system user then.
if [ "$IS_ROOT" -eq 1 ]; then
    if ! id -u postgres >/dev/null 2>&1; then
        say "creating system user 'postgres'"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin postgres
    fi
fi

PGTMP="$(mktemp -d "${TMPDIR:-/tmp}/afterglow-pg.XXXXXX")"
chmod 755 "$PGTMP"
[ "$IS_ROOT" -eq 1 ] && chown postgres: "$PGTMP"
PGDATA_DIR="$PGTMP/data"
PGLOG="$PGTMP/server.log"

# Run a PostgreSQL tool as the cluster's owner, from a directory it can read.
as_owner() {
    if [ "$IS_ROOT" -eq 1 ]; then
        (cd "$PGTMP" && runuser -u postgres -- "$@")
    else
        (cd "$PGTMP" && "$@")
    fi
}

STARTED=0
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    # Finish the cleanup whatever happens: even if stderr is a closed pipe now.
    set +e
    trap - EXIT
    trap '' HUP INT PIPE TERM
    if [ "$STARTED" -eq 1 ]; then
        say "stopping PostgreSQL on port $PORT"
        as_owner "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || say "pg_ctl stop failed (server may already be gone)"
    fi
    rm -rf "$PGTMP"
    exit "$rc"
}
trap cleanup EXIT
# Signals must go through the EXIT trap too, or the server would outlive the script.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

port_free() {
    python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# Like PostgreSQL itself: connections in TIME_WAIT from an earlier run don't block the port.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

PORT="${AFTERGLOW_PG_PORT:-55432}"
for _ in $(seq 1 100); do
    port_free "$PORT" && break
    PORT=$((PORT + 1))
done
port_free "$PORT" || { say "no free port found from ${AFTERGLOW_PG_PORT:-55432} upwards"; exit 1; }

say "$("$BINDIR/postgres" --version) from $BINDIR; cluster in $PGTMP; port $PORT"

as_owner "$BINDIR/initdb" --pgdata="$PGDATA_DIR" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync --no-instructions >"$PGTMP/initdb.log" 2>&1 || {
    cat "$PGTMP/initdb.log" >&2
    say "initdb failed"
    exit 1
}

# Throwaway cluster: durability off for speed; TCP on loopback only; socket in the temp dir.
STARTED=1
as_owner "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >/dev/null || {
    cat "$PGLOG" >&2 || true
    say "PostgreSQL failed to start"
    exit 1
}

for _ in $(seq 1 60); do
    "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres && break
    sleep 0.5
done
"$BINDIR/pg_isready" -h 127.0.0.1 -p "$PORT" -U postgres >&2 || {
    cat "$PGLOG" >&2 || true
    say "PostgreSQL did not become ready"
    exit 1
}

"$BINDIR/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
    -c "CREATE DATABASE afterglow" >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/afterglow"
say "DATABASE_URL=$DATABASE_URL"

rc=0
"$@" || rc=$?
exit "$rc"
