#!/usr/bin/env bash
# One device call that trains the base model (scripts/gpu_base_model.sh) and then evaluates the model it made
# on the dev-eval packages (scripts/gpu_evaluate.sh with BASE_MODEL set to its export), so a single machine
# start pays for both. The weights come back as gpu_base_model.sh returns them (int8 shards + meta.tar); the
# logs and the evaluation's cells come back in one `logs-results.tar` (train.log, evaluate.log, results.tgz),
# which keeps the call within the device tool's 8 returned files.
#
# Stage as both scripts say (.gpu/data, .gpu/whl, .gpu/results.tgz with the packages' pairs.jsonl; the
# tokenizer may be the shipped model's: TOKENIZER=customizer/base_model) and give both scripts' knobs:
# training (MINUTES, INIT_FROM, LR, TOTAL_TOKENS, DENOISE_TOKENS, ...) and evaluation (STRATEGIES, RETRIEVAL,
# SPLITS, MAX_TEST, JOBS, BUDGET_S). Keep MINUTES*60 + BUDGET_S + ~150 s under the call's limit.
#
# Back here: `python -m customizer.basemodel.shards unpack FILES_AT RUN_DIR --tokenizer TOK`, then
# `tar xf FILES_AT/logs-results.tar -C DIR` and `tar xzf DIR/results.tgz -C RESULTS_FOR_THIS_MODEL` (not the
# shipped model's results folder: cells are named by system, not by base model).
set -euo pipefail
OUT=${OUT:?set OUT to the folder that comes back}
PY=${PY:-python3}
RUN=${RUN:-/tmp/testtailor-run}
MODEL=${MODEL:-/tmp/testtailor-model}
EVAL_OUT=${EVAL_OUT:-/tmp/testtailor-eval-out}
here=$(dirname "${BASH_SOURCE[0]}")
mkdir -p "$EVAL_OUT"

RUN=$RUN bash "$here/gpu_base_model.sh"
mv "$OUT/train.log" "$EVAL_OUT/train.log"
{
  D=${GPU_DIR:-.gpu}
  # shellcheck source=scripts/gpu_env.sh
  source "$here/gpu_env.sh"
  "$PY" -m customizer base-model export --run "$RUN" --out "$MODEL" --name "${NAME:-testtailor-base-candidate}"
} 2>&1 | tee "$EVAL_OUT/export.log"
OUT=$EVAL_OUT BASE_MODEL=$MODEL bash "$here/gpu_evaluate.sh" || echo "evaluation failed with $?"
tar cf "$OUT/logs-results.tar" -C "$EVAL_OUT" .
ls -la "$OUT"
