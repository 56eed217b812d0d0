#!/usr/bin/env bash
# The README's test command (`make test`, which first installs the system
# packages with scripts/ci-deps.sh and the virtualenv): lint, type check,
# migrations, and the whole pytest suite on SQLite and again on a throwaway
# PostgreSQL cluster.
# Every step runs even after a failure; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$root/.venv/bin:$PATH"
export FLASK_APP=run.py

work=$(mktemp -d "${TMPDIR:-/tmp}/wren-test-XXXXXX")
# Its own directory straight under TMPDIR: as root the cluster runs as the
# postgres user, who cannot enter root's private work directory.
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/wren-pg-XXXXXX")
cleanup() {
    if [[ -d "$pg_dir" ]]; then
        bash "$root/scripts/pg.sh" destroy "$pg_dir" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=()
step() {
    local name=$1
    shift
    echo
    echo "=== $name"
    local started=$SECONDS
    if "$@"; then
        echo "=== $name: ok ($((SECONDS - started)) s)"
    else
        local rc=$?
        echo "=== $name: FAILED (exit $rc)"
        failed+=("$name")
    fi
}

# Migrations from an empty database, then no drift between models and versions.
migrations() {
    env WREN_CONFIG=testing WREN_INSTANCE_PATH="$work/instance" \
        SECRET_KEY=migration-check DATABASE_URL="$1" \
        bash -c 'flask db upgrade && flask db check'
}

pytest_run() {
    # Exit 5 (nothing collected) is a failure like any other non-zero code.
    # pytest-xdist: one worker per core (PYTEST_WORKERS=0 runs in-process);
    # each worker has its own SQLite files and PostgreSQL database.
    python -m pytest -q -p no:cacheprovider -n "${PYTEST_WORKERS:-auto}" \
        --durations=15 "$@"
}

pytest_postgres() {
    WREN_TEST_DATABASE_URL="$1" pytest_run -m "not e2e"
}

step "ruff check" ruff check .
step "ruff format" ruff format --check .
step "mypy" mypy app
step "migrations (SQLite)" migrations "sqlite:///$work/migrations.sqlite"
step "pytest (SQLite)" pytest_run

if pg_url=$(bash scripts/pg.sh start "$pg_dir"); then
    step "migrations (PostgreSQL)" migrations "$pg_url"
    if test_url=$(bash scripts/pg.sh createdb "$pg_dir" wren_test); then
        # Browser tests already ran above; they do not touch SQL differently.
        step "pytest (PostgreSQL)" pytest_postgres "$test_url"
    else
        failed+=("create test database")
    fi
else
    failed+=("start PostgreSQL")
fi

echo
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "All checks passed."
