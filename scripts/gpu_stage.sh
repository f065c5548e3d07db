#!/usr/bin/env bash
# Stage the folder the scripts/gpu_*.sh device calls carry (.gpu/, ignored through .git/info/exclude), so a
# session that draws a GPU spends its minutes on the GPU, not on staging. Run here, in the repository root:
#
#   bash scripts/gpu_stage.sh wheels results          # for gpu_evaluate.sh and gpu_serving.sh
#   bash scripts/gpu_stage.sh wheels results data-v3  # also for gpu_base_model.sh / gpu_base_model_eval.sh (v3)
#
#   wheels   cp312 wheels of what the device image lacks (the versions this checkout's .venv runs), from PyPI
#   results  the evaluation's results folder as results.tgz (mined pairs + finished cells; restored from the
#            repository's archive first when the folder is missing), so finished cells are skipped there
#   data-v3  the v3 base-model data (train.npz, val.npz: the corpus's pairs tokenized with the shipped tokenizer),
#            made with `testtailor base-model prepare` when the dev cache lacks it (needs the merged corpus)
#
# Knobs: GPU_DIR (default .gpu), CACHE (default ~/.cache/testtailor-dev), RESULTS (default $CACHE/eval/results).
# Everything under .gpu travels with the working tree, whose limit is 64 MiB: the sizes are printed at the end.
set -euo pipefail
D=${GPU_DIR:-.gpu}
CACHE=${CACHE:-$HOME/.cache/testtailor-dev}
RESULTS=${RESULTS:-$CACHE/eval/results}
PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv here: run 'source scripts/venv.sh' first" >&2; exit 2; }
grep -qx "/$D/" .git/info/exclude 2>/dev/null || echo "/$D/" >> .git/info/exclude
mkdir -p "$D"

for what in "$@"; do
  case $what in
    wheels)
      mkdir -p "$D/whl"
      pins=$("$PY" -m pip freeze 2>/dev/null | grep -iE '^(tree.sitter|tree.sitter.java|gitpython|gitdb|smmap|platformdirs|rank.bm25)==')
      # shellcheck disable=SC2086
      "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux_2_5_x86_64 --platform manylinux1_x86_64 -d "$D/whl" $pins
      ;;
    results)
      if [ ! -d "$RESULTS" ]; then
        OUT=$RESULTS bash scripts/evaluation_archive.sh unpack
      fi
      tar czf "$D/results.tgz" -C "$RESULTS" .
      ;;
    data-v3)
      data=$CACHE/basemodel/data-v3
      if [ ! -f "$data/train.npz" ]; then
        .venv/bin/testtailor base-model prepare --tokenizer customizer/base_model --out "$data"
      fi
      mkdir -p "$D/data"
      cp "$data/train.npz" "$data/val.npz" "$D/data/"
      ;;
    *)
      echo "unknown item '$what' (wheels, results, data-v3)" >&2
      exit 2
      ;;
  esac
done
du -sh "$D"/* | sed 's/^/staged: /'
du -sh "$D" | sed 's/^/travels with the working tree (limit 64 MiB in all): /'
