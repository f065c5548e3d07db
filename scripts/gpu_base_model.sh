#!/usr/bin/env bash
# Train the shipped base model in one call on a GPU machine lent by the `device` tool, and bring its weights
# back as shards small enough for the tool's return limits (≤ 16 MiB per file, ≤ 8 files, ≤ 64 MiB together).
#
# That machine starts bare, has its own python3 with torch/transformers/tokenizers, reaches no network, and
# receives the working tree plus what `carry` names. Stage the inputs here first (`bash scripts/gpu_stage.sh wheels
# data-v3` does it for the v3 recipe below):
#
#   D=.gpu                                  # ignored through .git/info/exclude
#   mkdir -p $D/data $D/whl
#   cp ~/.cache/testtailor-dev/basemodel/data-full/{train,val,methods,methods-val}.npz $D/data/
#   cp -r ~/.cache/testtailor-dev/basemodel/tokenizer-v0 $D/tokenizer
#   pip download (README of the device tool) tree-sitter and tree-sitter-java cp312 wheels into $D/whl
#
# then run `bash scripts/gpu_base_model.sh` there with carry [".gpu"]. On return, $OUT holds train.log,
# model.int8-0000N.safetensors and meta.tar (config, history, training state); rebuild the checkpoint with
# `python -m customizer.basemodel.shards unpack FILES_AT RUN_DIR --tokenizer TOK` and export it. The shards are
# int8 per row (the format the model ships in; the gpu-42m model: 40.6 MiB in 3 shards + meta.tar), so one call
# brings them back with room to spare. PACK_PRECISION=bf16 returns lossless bf16 shards instead (~84 MB in 6 files:
# over the 64 MiB one call returns; the tool leaves the last ones out, so fetch those with a second call while the
# machine is still warm: `PYTHONPATH=$PWD python3 -m customizer.basemodel.shards pack /tmp/testtailor-run $OUT
# --precision bf16 && rm -f $OUT/<the files that did come back>`; packing is deterministic).
#
# Knobs (environment): MINUTES (training budget), TOKENIZER (default $D/tokenizer), PRESET, DEVICE, BATCH_TOKENS,
# TOTAL_TOKENS (pairs-phase cosine horizon), WARMUP_STEPS, DENOISE_TOKENS, LR, PY (the interpreter),
# PACK_PRECISION (int8 or bf16). Every one has the value of the shipped run. INIT_FROM=customizer/base_model
# (with DENOISE_TOKENS=0, a lower LR and fewer WARMUP_STEPS) trains the shipped model further instead of starting
# from scratch: a new run from its weights in the pairs phase (`base-model train --init-from`).
# The v3 recipe (its data: 61,759 train pairs of 414 packages mined by today's miner, tokenized with the shipped
# tokenizer, 9.4 MB; prepared in sessions 12 and 20, `bash scripts/gpu_stage.sh data-v3` stages it; the chain below
# ran end to end on the CPU in session 20 with DEVICE=cpu MINUTES=0.5 on a 300-pair cut of it):
#   testtailor base-model prepare --tokenizer customizer/base_model --out ~/.cache/testtailor-dev/basemodel/data-v3
#   cp ~/.cache/testtailor-dev/basemodel/data-v3/{train,val}.npz .gpu/data/
#   INIT_FROM=customizer/base_model TOKENIZER=customizer/base_model DENOISE_TOKENS=0 LR=2e-4 WARMUP_STEPS=50 \
#     OUT=$OUT bash scripts/gpu_base_model.sh          # carry [".gpu"]
set -euo pipefail
D=${GPU_DIR:-.gpu}
OUT=${OUT:?set OUT to the folder that comes back}
PY=${PY:-python3}
MINUTES=${MINUTES:-8.0}
RUN=${RUN:-/tmp/testtailor-run}

# shellcheck source=scripts/gpu_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/gpu_env.sh"

{
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  "$PY" -c "import torch, transformers, tokenizers; print('torch', torch.__version__, 'transformers',
transformers.__version__, 'tokenizers', tokenizers.__version__, 'cuda', torch.cuda.is_available())"
  # SIGTERM a little before the call's limit: the trainer checkpoints, evaluates and exits, so export runs
  timeout --signal=TERM "$(awk "BEGIN{print int($MINUTES*60+90)}")" \
    "$PY" -m customizer base-model train --data "$D/data" --tokenizer "${TOKENIZER:-$D/tokenizer}" --run "$RUN" \
      --preset "${PRESET:-gpu-42m}" --device "${DEVICE:-cuda}" --batch-tokens "${BATCH_TOKENS:-65536}" \
      --lr "${LR:-5e-4}" --total-tokens "${TOTAL_TOKENS:-160e6}" --denoise-tokens "${DENOISE_TOKENS:-40e6}" \
      --warmup-steps "${WARMUP_STEPS:-200}" --minutes "$MINUTES" --eval-every-s "${EVAL_EVERY_S:-40}" ${INIT_FROM:+--init-from "$INIT_FROM"} \
      || echo "trainer exited with $?"
  "$PY" -m customizer.basemodel.shards pack "$RUN" "$OUT" --precision "${PACK_PRECISION:-int8}"
} 2>&1 | tee "$OUT/train.log"
