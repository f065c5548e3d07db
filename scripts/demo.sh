#!/usr/bin/env bash
# The main job on the bundled example project (examples/shopkit): mine its tests, customize the shipped base
# model to it on this machine, then generate tests for a method that has none yet — base model vs personalized.
#
# Environment knobs: TESTTAILOR_DEMO_MINUTES (training budget, default 5), TESTTAILOR_STRATEGY (default: the
# product default), TESTTAILOR_DEVICE (auto), TESTTAILOR_BASE_MODEL (another local checkpoint directory).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/venv.sh
source "$ROOT/scripts/venv.sh"
cd "$ROOT"

WORK="$ROOT/.testtailor-work"
DEMO="$WORK/shopkit"
# The demo keeps its adapters apart from your own projects' (delete .testtailor-work to start over).
export TESTTAILOR_HOME="${TESTTAILOR_HOME:-$WORK/home}"
STRATEGY="${TESTTAILOR_STRATEGY:-$(python -c 'from customizer.defaults import DEFAULT_STRATEGY; print(DEFAULT_STRATEGY)')}"
MINUTES="${TESTTAILOR_DEMO_MINUTES:-5}"
DEVICE="${TESTTAILOR_DEVICE:-auto}"

# TestTailor learns from a git repository: make one from the example (again whenever the example changed).
stamp="$(find examples/shopkit -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
if [ ! -f "$DEMO/.demo-stamp" ] || [ "$(cat "$DEMO/.demo-stamp")" != "$stamp" ]; then
    rm -rf "$DEMO"
    mkdir -p "$WORK"
    cp -r examples/shopkit "$DEMO"
    (cd "$DEMO" && git init -q -b main && git add -A \
        && GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@testtailor.invalid GIT_COMMITTER_NAME=demo \
           GIT_COMMITTER_EMAIL=demo@testtailor.invalid GIT_AUTHOR_DATE=2026-01-01T00:00:00Z \
           GIT_COMMITTER_DATE=2026-01-01T00:00:00Z git commit -q -m "shopkit example")
    echo "$stamp" > "$DEMO/.demo-stamp"
    echo ".demo-stamp" > "$DEMO/.git/info/exclude"
fi

echo "== 1. Mine the project's existing tests"
testtailor mine "$DEMO"
echo
echo "== 2. Base model"
python - <<'PY'
from customizer.model import shipped_base_model_dir
import json, pathlib
d = shipped_base_model_dir()
if d is None:
    raise SystemExit("no base model found: set TESTTAILOR_BASE_MODEL to a local checkpoint directory")
meta = pathlib.Path(d, "testtailor.json")
info = json.loads(meta.read_text()) if meta.exists() else {}
print(f"using {d}" + (f" ({info.get('name')}, {info.get('params', 0) / 1e6:.1f}M parameters)" if info else ""))
if info.get("interim"):
    print("note: this is an INTERIM base model trained on CPU; see docs/model-card.md for its measured quality")
PY
echo
echo "== 3. Customize it to the project ($STRATEGY, at most $MINUTES minutes on $DEVICE)"
testtailor customize-project "$DEMO" --strategy "$STRATEGY" --device "$DEVICE" --max-minutes "$MINUTES"
echo
FILE=src/main/java/io/shopkit/tax/TaxCalculator.java
LINE="$(grep -n 'public boolean isExempt' "$DEMO/$FILE" | cut -d: -f1)"
echo "== 4. Generate tests for TaxCalculator.isExempt ($FILE:$LINE), which has no test yet"
echo
echo "--- base model (not customized)"
testtailor generate "$DEMO" --file "$FILE" --line "$LINE" --candidates 2 --base-only --device "$DEVICE" \
  --retrieved-first 0
echo
echo "--- personalized to shopkit ($STRATEGY)"
testtailor generate "$DEMO" --file "$FILE" --line "$LINE" --candidates 2 --strategy "$STRATEGY" --device "$DEVICE" \
  --retrieved-first 0
echo
echo "--- what the editor offers by default: the project's nearest existing tests, renamed to this method, then"
echo "    the personalized model's (they scored higher than the model: docs/evaluation.md, Shipped defaults)"
testtailor generate "$DEMO" --file "$FILE" --line "$LINE" --candidates 5 --strategy "$STRATEGY" --device "$DEVICE"
