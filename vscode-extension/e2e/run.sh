#!/usr/bin/env bash
# End-to-end test of the extension in a real VS Code (code-server 4.100.3 = VS Code 1.100.3) driven by
# playwright-core + Debian's chromium. Everything it installs lives outside the repo (e2e/install.sh).
#
#   bash e2e/run.sh [fake|real|missing]
#     fake     the extension talks to e2e/fake-server (a Node stand-in implementing the LSP contract):
#              checks the whole client flow (palette, picker, WorkspaceEdit, progress + Cancel, status bar).
#     real     the real Python server: testtailor.pythonPath = $TESTTAILOR_PYTHON or <repo>/.venv/bin/python
#              (create it with `bash scripts/demo.sh`); generation and Customize on a copy of examples/shopkit.
#     missing  testtailor.pythonPath points at an interpreter without TestTailor: the install hint must show.
#
# Environment: E2E_KEEP=1 keeps the temp dir; E2E_DOCS=1 (real mode) writes docs/vscode-generate.png;
# E2E_BASE_MODEL=DIR sets testtailor.baseModel (e.g. a tiny test checkpoint before a base model ships);
# E2E_HEADED=1 shows the browser; PORT (default 18081). Artifacts (screenshots, logs, summary.json) go to
# e2e/artifacts/<mode>/.
set -euo pipefail
MODE=${1:-fake}
EXT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$EXT/.." && pwd)"
PORT=${PORT:-18081}
ENTRY=$(bash "$EXT/e2e/install.sh" | sed -n 's/^OK[^:]*: //p')
[ -f "$ENTRY" ] || { echo "code-server not installed (e2e/install.sh failed)" >&2; exit 1; }
[ -d "$EXT/node_modules/playwright-core" ] || (cd "$EXT" && npm ci --no-audit --no-fund)
VSIX="$EXT/testtailor.vsix"
if [ ! -f "$VSIX" ] || [ -n "$(find "$EXT/src" "$EXT/package.json" -newer "$VSIX" -print -quit)" ]; then
    (cd "$EXT" && npm run -s package >/dev/null)
fi

W=$(mktemp -d /tmp/testtailor-e2e.XXXXXX)
OUT="$EXT/e2e/artifacts/$MODE"; rm -rf "$OUT"; mkdir -p "$OUT"
# A copy of the example project as its own git repository (customization learns from git-tracked files).
cp -r "$ROOT/examples/shopkit" "$W/shopkit"
git -C "$W/shopkit" init -q && git -C "$W/shopkit" add -A \
    && git -C "$W/shopkit" -c user.name=e2e -c user.email=e2e@example.invalid commit -qm "shopkit example"

case "$MODE" in
  fake) PY="$EXT/e2e/fake-server/python" ;;
  real) PY="${TESTTAILOR_PYTHON:-$ROOT/.venv/bin/python}"
        # test this checkout's sources even when the venv's editable install predates lsp_server/
        export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" ;;
  missing) PY="$(command -v python3)"; "$PY" -c "import lsp_server" 2>/dev/null && { echo "system python3 has lsp_server; 'missing' mode needs one without" >&2; exit 1; } ;;
  *) echo "usage: $0 [fake|real|missing]" >&2; exit 2 ;;
esac
mkdir -p "$W/ud/User" "$W/ext"
cat > "$W/ud/User/settings.json" <<JSON
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "window.restoreWindows": "none",
  "testtailor.pythonPath": "$PY",
  "testtailor.candidates": 3,
  "testtailor.customizeMaxMinutes": 1,
  "testtailor.device": "cpu",
  "testtailor.baseModel": "${E2E_BASE_MODEL:-}"
}
JSON
# the server's generation path reads TESTTAILOR_BASE_MODEL (the testtailor.baseModel setting is passed too)
[ -n "${E2E_BASE_MODEL:-}" ] && export TESTTAILOR_BASE_MODEL="$E2E_BASE_MODEL"
export XDG_DATA_HOME=$W/xdg-data XDG_CONFIG_HOME=$W/xdg-config
COMMON=(--config "$W/config.yaml" --user-data-dir "$W/ud" --extensions-dir "$W/ext")
node "$ENTRY" "${COMMON[@]}" --install-extension "$VSIX" > "$OUT/install.log" 2>&1
node "$ENTRY" "${COMMON[@]}" --list-extensions --show-versions >> "$OUT/install.log" 2>&1
node "$ENTRY" "${COMMON[@]}" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
    --disable-workspace-trust "$W/shopkit" > "$OUT/code-server.log" 2>&1 &
SPID=$!
cleanup() {
    kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true
    mkdir -p "$OUT/logs"; cp -r "$W/ud/logs/." "$OUT/logs/" 2>/dev/null || true
    if [ -n "${E2E_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # killed from outside (a runner's timeout): still save the logs (the output channel)
for _ in $(seq 150); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
E2E_URL="http://127.0.0.1:$PORT/?folder=$W/shopkit" E2E_WS="$W/shopkit" E2E_MODE="$MODE" E2E_OUT="$OUT" \
E2E_DOCS_PNG="${E2E_DOCS:+$ROOT/docs/vscode-generate.png}" E2E_LOGS="$W/ud/logs" \
    node "$EXT/e2e/e2e.mjs"
