#!/usr/bin/env bash
# Creates or reuses the project's virtual environment (.venv) and installs TestTailor into it.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again (it only reinstalls when
# pyproject.toml changed). Torch is pinned to the CPU build first so pip never pulls a CUDA wheel
# on machines that do not need one; pyproject.toml declares a range so GPU machines choose their own.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TESTTAILOR_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x "$VENV/bin/python" ]; then
    echo "[testtailor] creating virtual environment in $VENV" >&2
    "$PY" -m venv "$VENV"
fi
stamp="$VENV/.testtailor-installed"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
# Reinstall when pyproject.toml changed, or when the editable install no longer imports both packages.
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] \
    || ! "$VENV/bin/python" -c "import customizer.cli, lsp_server.__main__" >/dev/null 2>&1; then
    echo "[testtailor] installing dependencies into $VENV (first run takes a few minutes)" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
        "$VENV/bin/python" -m pip install -q "torch==${TESTTAILOR_TORCH:-2.13.0}" >&2 \
            || "$VENV/bin/python" -m pip install -q "torch>=2.4" >&2
    fi
    "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]" >&2
    echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
