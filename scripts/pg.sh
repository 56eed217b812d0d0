#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a directory of its own, on a free
# 127.0.0.1 port, with trust authentication and a database named "wren".
#
#   scripts/pg.sh start DIR     create (first time) and start; prints the URL
#   scripts/pg.sh stop DIR      stop the server, keep the data (start resumes)
#   scripts/pg.sh destroy DIR   stop if running and delete DIR
#   scripts/pg.sh url DIR       print the URL of the cluster in DIR
#   scripts/pg.sh createdb DIR NAME  add an empty database; prints its URL
#   scripts/pg.sh available     exit 0 when the PostgreSQL binaries are installed
#
# As root the server runs as the "postgres" user (PostgreSQL refuses root).
# PG_BIN may name the directory holding initdb/pg_ctl.
set -euo pipefail

find_bin() {
    if [[ -n "${PG_BIN:-}" && -x "$PG_BIN/pg_ctl" ]]; then
        echo "$PG_BIN"
        return 0
    fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
        return 0
    fi
    if command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    return 1
}

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

url_of() {
    echo "postgresql://postgres@127.0.0.1:$(cat "$1/port")/wren"
}

cmd=${1:-}
dir=${2:-}
if [[ "$cmd" == "available" ]]; then
    find_bin >/dev/null
    exit $?
fi
if [[ -z "$cmd" || -z "$dir" ]]; then
    echo "usage: $0 start|stop|destroy|url DIR | createdb DIR NAME | available" >&2
    exit 2
fi
bin=$(find_bin) || { echo "pg.sh: PostgreSQL binaries not found" >&2; exit 1; }
data="$dir/data"

case "$cmd" in
start)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" || {
            echo "pg.sh: user postgres cannot write $dir (a parent is private)" >&2
            exit 1
        }
    fi
    if [[ ! -f "$data/PG_VERSION" ]]; then
        as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 \
            --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            exit 1
        }
    fi
    [[ -f "$dir/port" ]] || free_port >"$dir/port"
    port=$(cat "$dir/port")
    # No Unix socket outside DIR, no fsync: this data is thrown away.
    as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 start \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null || {
        cat "$dir/server.log" >&2
        exit 1
    }
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'wren'" | grep -q 1; then
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres wren
    fi
    url_of "$dir"
    ;;
stop)
    if [[ -f "$data/postmaster.pid" ]]; then
        as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null
    fi
    ;;
destroy)
    if [[ -f "$data/postmaster.pid" ]]; then
        as_owner "$bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop \
            >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
url)
    url_of "$dir"
    ;;
createdb)
    name=${3:?database name}
    "$bin/createdb" -h 127.0.0.1 -p "$(cat "$dir/port")" -U postgres "$name"
    echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/$name"
    ;;
*)
    echo "pg.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
