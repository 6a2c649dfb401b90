#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Debian packages, Chromium, venv,
# pinned requirements) and runs the whole suite: ruff, the import contract, mypy, then pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow" -x).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --dev --browser
.venv/bin/ruff check .
.venv/bin/lint-imports
DJANGO_DEBUG=1 .venv/bin/mypy
.venv/bin/python -m pytest "$@"
