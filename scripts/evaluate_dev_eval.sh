#!/usr/bin/env bash
# The evaluation on the 20 development-evaluation packages (corpus/dev-eval-packages.txt), resumable.
# Needs the packages as git repos (testtailor corpus fetch --list dev-eval). Results go to
# $TESTTAILOR_DEV_CACHE/eval/results (default ~/.cache/testtailor-dev/eval/results), seeded from the archived cells
# (scripts/evaluation_archive.sh) when empty; docs/evaluation.md is regenerated from them (archive a new run with
# `bash scripts/evaluation_archive.sh pack`). Arguments replace the default systems/splits, e.g.:
#   bash scripts/evaluate_dev_eval.sh --strategies retrieve,base,l-ldb --split method --max-test 50 --max-minutes 10
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/venv.sh
source "$ROOT/scripts/venv.sh"
cd "$ROOT"
CACHE="${TESTTAILOR_DEV_CACHE:-$HOME/.cache/testtailor-dev}"
OUT="$CACHE/eval/results"
# a fresh machine starts from the cells archived in the repository (docs/results/), so this run adds to them and the
# report regenerated below keeps every earlier cell instead of shrinking to this run's
if [ -z "$(find "$OUT" -name '*.jsonl' ! -name pairs.jsonl -print -quit 2>/dev/null)" ]; then
    OUT="$OUT" bash "$ROOT/scripts/evaluation_archive.sh" unpack
fi
repos=()
while read -r pkg; do
    [ -n "$pkg" ] || continue
    if [ -d "$CACHE/debian/repos/$pkg" ]; then repos+=("$CACHE/debian/repos/$pkg"); else echo "missing: $pkg" >&2; fi
done < corpus/dev-eval-packages.txt
args=("$@")
[ "${#args[@]}" -gt 0 ] || args=(--strategies retrieve --split random,method,class)
testtailor evaluate "${repos[@]}" --run-folds 0 --out "$OUT" "${args[@]}"
testtailor evaluate-report --out "$OUT" --docs docs
