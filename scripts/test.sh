#!/usr/bin/env bash
# Set up a clean virtual environment and run the whole test suite: lint, types, tests.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv-test}"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -c requirements.lock -e ".[dev]"

bash scripts/install-system-deps.sh
echo "== ruff"
"$VENV/bin/ruff" check src tests benchmarks examples
echo "== mypy (strict)"
"$VENV/bin/mypy"
echo "== pytest"
"$VENV/bin/pytest" "$@"
