#!/usr/bin/env bash
# The main job on the bundled example project: mine its tests and print the dataset summary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/venv.sh
source "$ROOT/scripts/venv.sh"
cd "$ROOT"
testtailor mine examples/shopkit
