#!/usr/bin/env bash
# Runs the whole test suite (Python, ruff, and the VS Code extension's build and unit tests when Node is present).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/venv.sh
source "$ROOT/scripts/venv.sh"
cd "$ROOT"
status=0
ruff check . || status=1
python -m pytest "$@"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then status=$rc; fi
exit $status
