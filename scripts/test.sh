#!/usr/bin/env bash
# Runs the whole test suite: ruff, pytest (Python packages, language server, example project), and — when Node.js
# is installed — the VS Code extension's build, lint, unit tests and .vsix packaging.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m "not slow"`).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/venv.sh
source "$ROOT/scripts/venv.sh"
cd "$ROOT"
status=0
echo "== ruff" >&2
ruff check . || status=1
echo "== pytest" >&2
python -m pytest "$@"
rc=$?
# exit code 5 = no tests collected (e.g. a -k filter that matches nothing): not a failure of the suite
if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then status=$rc; fi
if command -v npm >/dev/null 2>&1; then
    echo "== VS Code extension" >&2
    (cd vscode-extension && npm ci --no-audit --no-fund --loglevel=error && npm run --silent compile \
        && npm run --silent lint && npm test --silent && npm run --silent package) || status=1
else
    echo "== VS Code extension: skipped (Node.js/npm not installed)" >&2
fi
exit $status
