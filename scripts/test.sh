#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Debian packages, Chromium,
# PostgreSQL and Redis, venv, pinned requirements) and runs the whole suite: ruff, the import
# contract, mypy, then pytest twice:
#   1. every test on the embedded set-up (SQLite + django-q2's ORM broker);
#   2. the tests marked `distributed` again on real, throw-away PostgreSQL and Redis servers
#      (scripts/services.sh starts them on free loopback ports and stops them afterwards).
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow" -x); a -m expression narrows the
# second pass too ("distributed and (not slow)").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev --browser --services
.venv/bin/ruff check .
.venv/bin/lint-imports
DJANGO_DEBUG=1 .venv/bin/mypy
scripts/lock.sh --check  # the locks match requirements*.txt; pip-audit finds no known vulnerability
# The first pass is the embedded set-up, whatever servers the caller's environment points at.
unset DATABASE_URL REDIS_URL
.venv/bin/python -m pytest "$@"

marker=distributed
narrowed=0
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -m) marker="distributed and ($2)"; shift 2 ;;
    -m*) marker="distributed and (${1#-m})"; shift ;;
    -k*) narrowed=1; args+=("$1"); shift ;;
    -*) args+=("$1"); shift ;;
    *) narrowed=1; args+=("$1"); shift ;;  # a path or a test id
  esac
done
echo "==> pytest -m \"$marker\" on PostgreSQL + Redis"
started=$SECONDS
status=0
scripts/services.sh run .venv/bin/python -m pytest -m "$marker" "${args[@]}" || status=$?
echo "==> distributed pass: $((SECONDS - started)) s"
# Exit code 5 is "no test collected": a failure for the full run (the marker lost its tests), but
# expected when the caller picked tests of which none is distributed.
if [ "$status" -eq 5 ] && [ "$narrowed" = 1 ]; then
  echo "==> none of the selected tests is marked distributed: nothing to run on PostgreSQL + Redis"
  status=0
fi
exit "$status"
