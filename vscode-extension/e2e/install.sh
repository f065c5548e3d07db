#!/usr/bin/env bash
# Installs everything the extension's end-to-end test needs, OUTSIDE the repository:
#   - code-server 4.100.3 (= VS Code 1.100.3, the newest that runs on Node 20), from the npm registry,
#   - Debian's chromium (driven by playwright-core from the extension's devDependencies).
# Usage: e2e/install.sh [DEST]   (default ~/.cache/testtailor-dev/e2e; needs root for apt-get)
# Idempotent: an existing install is reused. Prints the code-server entry point on success.
set -euo pipefail
VER=4.100.3
DEST=${1:-${TESTTAILOR_E2E_DIR:-$HOME/.cache/testtailor-dev/e2e}}
ENTRY="$DEST/code-server-$VER/package/out/node/entry.js"
if [ -f "$ENTRY" ] && [ -f "$DEST/code-server-$VER/.installed" ] && command -v chromium >/dev/null; then
    echo "OK (cached): $ENTRY"; exit 0
fi
export DEBIAN_FRONTEND=noninteractive npm_config_nodedir=/usr npm_config_yes=true
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get install -y -qq build-essential python3 pkg-config libkrb5-dev ripgrep chromium curl >/dev/null \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq build-essential python3 pkg-config libkrb5-dev ripgrep chromium curl >/dev/null; }
rm -rf "$DEST/code-server-$VER"; mkdir -p "$DEST/code-server-$VER" && cd "$DEST/code-server-$VER"
npm pack "code-server@$VER" >/dev/null
tar xzf "code-server-$VER.tgz" && rm "code-server-$VER.tgz"
cd package
npm install --omit=dev --ignore-scripts --no-audit --no-fund
npm rebuild argon2                               # node-pre-gyp falls back to a source build
cd lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild kerberos @parcel/watcher @vscode/deviceid @vscode/spdlog native-watchdog node-pty
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --no-audit --no-fund)
touch "$DEST/code-server-$VER/.installed"
echo "OK: $ENTRY"
