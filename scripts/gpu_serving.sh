#!/usr/bin/env bash
# Issue #9's serving benchmark (bench/bench_serving.py) on a GPU machine lent by the `device` tool: mixed-adapter
# batches vs one request at a time vs one call per repository, adapter switch and load times, with the shipped
# base model on the GPU. Run in the repository root there with carry [".gpu"] (.gpu/whl: the cp312 wheels listed
# in scripts/gpu_evaluate.sh's header; tree-sitter is needed to read examples/shopkit). Writes $OUT/serving.log.
#
# Knobs (environment): REPOS (8), REQUESTS (4), BEAMS (5), MAX_NEW_TOKENS (64), MAX_BATCH (32: the whole mixed
# batch in one call; the CPU default of 8 exists because a CPU is compute-bound at 8), DTYPE (float32), STRATEGIES
# (prefix,lora,l-ldb,l-eo,full), SWITCHES (200), PY. A minute or two; it can precede gpu_evaluate.sh in one call:
#   OUT=$OUT bash scripts/gpu_serving.sh; OUT=$OUT BUDGET_S=400 bash scripts/gpu_evaluate.sh
set -euo pipefail
D=${GPU_DIR:-.gpu}
OUT=${OUT:?set OUT to the folder that comes back}
PY=${PY:-python3}
# shellcheck source=scripts/gpu_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/gpu_env.sh"
"$PY" bench/bench_serving.py --device "${DEVICE:-cuda}" --dtype "${DTYPE:-float32}" \
  --strategies "${STRATEGIES:-prefix,lora,l-ldb,l-eo,full}" --repos "${REPOS:-8}" --requests "${REQUESTS:-4}" \
  --beams "${BEAMS:-5}" --max-new-tokens "${MAX_NEW_TOKENS:-64}" --max-batch "${MAX_BATCH:-32}" \
  --switches "${SWITCHES:-200}" 2>&1 | tee "$OUT/serving.log"
