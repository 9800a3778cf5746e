#!/usr/bin/env bash
# The two commands of the README, and a few more for working on nichevid.
#   ./dev.sh demo   install, seed demo content, serve at http://127.0.0.1:8000
#   ./dev.sh test   lint, type-check, and the whole suite in both shapes
set -euo pipefail
cd "$(dirname "$0")"

VENV=${NICHEVID_VENV:-.venv}
# Every other NICHEVID_* variable is a setting of the instance, which would refuse this one.
unset NICHEVID_VENV
PY=${PYTHON:-python3}
SYSTEM_PACKAGES=(ffmpeg postgresql redis-server chromium wrk nginx openssl python3-venv)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root (or sudo) to run: $*" >&2; exit 2; fi
}

system_packages() {
  # Install what the tests need from Debian when it is missing; quiet when all is there.
  local missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
  "$PY" -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" 2>/dev/null || { system_packages; "$PY" -m venv "$VENV"; }
  fi
  local stamp="$VENV/.installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e ".[test]"
    touch "$stamp"
  fi
}

demo_settings() {
  # The settings the demo writes beside its data (gifts and subscriptions, test
  # payments), unless the operator named or wrote their own.
  if [ -z "${NICHEVID_CONFIG:-}" ] && [ ! -f nichevid.toml ] && [ -f "$NICHEVID_DATA_DIR/nichevid.toml" ]; then
    export NICHEVID_CONFIG="$NICHEVID_DATA_DIR/nichevid.toml"
  fi
}

case "${1:-help}" in
  demo)
    venv
    export NICHEVID_DATA_DIR=${NICHEVID_DATA_DIR:-./var}
    mkdir -p "$NICHEVID_DATA_DIR"
    demo_settings
    "$VENV/bin/nichevid" migrate
    "$VENV/bin/nichevid" demo
    demo_settings
    exec "$VENV/bin/nichevid" serve --no-migrate
    ;;
  test)
    system_packages
    venv
    shift || true
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy"
    mkdir -p test-artifacts
    # Both shapes side by side: each starts its own PostgreSQL, Redis and servers on free
    # ports of 127.0.0.1, and much of a run waits on browsers, ffmpeg and servers.
    echo "== embedded shape (SQLite, in-process jobs) and production shape (PostgreSQL, Redis, arq worker), side by side"
    NICHEVID_TEST_SHAPE=sqlite "$VENV/bin/python" -m pytest --durations=25 "$@" > test-artifacts/sqlite.log 2>&1 &
    sqlite=$!
    NICHEVID_TEST_SHAPE=postgres "$VENV/bin/python" -m pytest --durations=25 "$@" > test-artifacts/postgres.log 2>&1 &
    postgres=$!
    sqlite_status=0; wait "$sqlite" || sqlite_status=$?
    postgres_status=0; wait "$postgres" || postgres_status=$?
    echo "== embedded shape: SQLite, in-process jobs (exit $sqlite_status)"
    cat test-artifacts/sqlite.log
    echo "== production shape: PostgreSQL, Redis, arq worker (exit $postgres_status)"
    cat test-artifacts/postgres.log
    # Any failure fails the run, "no tests ran" (pytest's 5) included.
    [ "$sqlite_status" = 0 ] && [ "$postgres_status" = 0 ]
    ;;
  *)
    echo "usage: ./dev.sh demo | test [pytest args]" >&2
    exit 2
    ;;
esac
