#!/usr/bin/env bash
# Run the dev-eval evaluation (`testtailor evaluate`) on a GPU machine lent by the `device` tool, in one call
# that stops itself before the call's limit and brings back every finished cell. Resumable: cells already in the
# carried results are skipped, so repeated calls continue where the last one stopped.
#
# The machine has no network and no Debian repositories: the evaluation reads each package's mined pairs from
# the results folder (`<results>/<package>/pairs.jsonl`, cached there by earlier runs), so the repositories
# themselves never travel. Stage here (the shipped base model travels with the working tree;
# `bash scripts/gpu_stage.sh wheels results` does all of it):
#
#   mkdir -p .gpu/whl                               # .gpu/ ignored through .git/info/exclude
#   R=~/.cache/testtailor-dev/eval/results
#   OUT="$R" bash scripts/evaluation_archive.sh unpack   # on a fresh machine: the archived cells and pairs.jsonl
#   tar czf .gpu/results.tgz -C "$R" .              # pairs + finished cells (keep it under ~15 MB)
#   pip download (README of the device tool) cp312 wheels of tree-sitter, tree-sitter-java, GitPython, gitdb,
#   smmap, platformdirs, rank-bm25 into .gpu/whl
#
# then run `bash scripts/gpu_evaluate.sh` there with carry [".gpu"] and, back here,
# `tar xzf FILES_AT/results.tgz -C "$R"`, `testtailor evaluate-report --out "$R" --docs docs` and
# `bash scripts/evaluation_archive.sh pack` (the cells go into the repository with the report).
#
# Knobs (environment): STREAMS (below), STRATEGIES, SPLITS, MAX_TEST, MAX_MINUTES (per customization), MAX_PFLOPS
# (per customization, the same on any device: 0.028 with MAX_MINUTES=5 matches the cells computed on the CPU), RETRIEVAL (K),
# JOBS (cells at once in worker processes sharing the GPU; default 10), BUDGET_S (seconds before the evaluation
# is stopped; default 480), BASE_MODEL (default: the shipped one), DEVICE, PY. Cells run split by split, system
# by system (each system on every package before the next system), so order STRATEGIES by priority.
#
# Measured 2026-11-26 on one H200 (`STRATEGIES=base,l-ldb,lora,prefix,l-eo,full SPLITS=method MAX_TEST=20
# MAX_MINUTES=0.4 JOBS=10`): the GPU at 82-99% with 10 workers; a base cell (20 pairs, beam 5) 40-130 s, a
# customized cell 25 s of training + 50-150 s of scoring; 63 cells in 13 minutes. The whole matrix (3 splits ×
# 20 packages × 6 systems, ± retrieval) needs several sessions' device time: run the priorities first.
# Measured 2026-11-27 on one H100 (`STREAMS="l-ldb,lora,prefix,l-eo,full:0:6 l-ldb,lora:2:4" MAX_MINUTES=0.4`,
# BUDGET_S=525, then 215 on the same warm machine): 48 cells in 12.5 minutes of device time, starts included
# (l-ldb 20, l-ldb+r2 19, lora 9); a customized cell took 54-193 s with 10 workers on the GPU.
# Measured 2026-11-28 on one H200 (`SPLITS=class STREAMS="full,l-eo,prefix,lora:0:10" MAX_PFLOPS=0.028 MAX_MINUTES=5
# BUDGET_S=360`, after a 1-minute serving benchmark in the same call): 23 cells (11 full, 12 l-eo) in 6.5 minutes;
# a cell 46-195 s with 10 workers. Then `STREAMS="prefix,lora:0:12" BUDGET_S=150` on the warm machine: 2 prefix cells
# (112-128 s each; the others were cut off and stay missing). Budgets under ~200 s finish few cells.
set -euo pipefail
D=${GPU_DIR:-.gpu}
OUT=${OUT:?set OUT to the folder that comes back}
PY=${PY:-python3}
WORK=${WORK:-/tmp/testtailor-eval}
RESULTS=$WORK/results

# shellcheck source=scripts/gpu_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/gpu_env.sh"

mkdir -p "$RESULTS" "$WORK/repos"
tar xzf "$D/results.tgz" -C "$RESULTS"
repos=()
for pairs in "$RESULTS"/*/pairs.jsonl; do
  pkg=$(basename "$(dirname "$pairs")")
  mkdir -p "$WORK/repos/$pkg"  # a placeholder: the cached pairs.jsonl is read instead of mining
  repos+=("$WORK/repos/$pkg")
done
[ "${#repos[@]}" -gt 0 ] || { echo "no <package>/pairs.jsonl in $D/results.tgz" >&2; exit 2; }
# One evaluation per stream, all at once on the one GPU, each "STRATEGIES:RETRIEVAL:JOBS" (e.g. STREAMS="l-ldb,lora:0:6
# l-ldb:2:4" runs the plain and the retrieval-augmented cells side by side); without STREAMS, one stream from
# STRATEGIES, RETRIEVAL and JOBS. Streams write distinct cells (the retrieval is part of a cell's name).
stream() {  # strategies retrieval jobs
  # SIGTERM ends the evaluation between cells' writes (each cell is stored atomically when it finishes)
  # --kill-after: should the evaluation not exit within 20 s of SIGTERM, it is killed, so the results below are
  # always packed before the call's own limit (keep BUDGET_S at least 40 s under it)
  timeout --signal=TERM --kill-after=20 "${BUDGET_S:-480}" \
    "$PY" -m customizer evaluate "${repos[@]}" --out "$RESULTS" --run-folds 0 --device "${DEVICE:-cuda}" \
      --strategies "$1" --split "${SPLITS:-method}" --max-test "${MAX_TEST:-20}" \
      --max-minutes "${MAX_MINUTES:-0.4}" ${MAX_PFLOPS:+--max-pflops "$MAX_PFLOPS"} --retrieval "$2" --jobs "$3" ${BASE_MODEL:+--base-model "$BASE_MODEL"} \
    2>&1 | sed -u "s/^/[$1:$2] /" || echo "[$1:$2] evaluate stopped with $? (finished cells are kept)"
}
{
  echo "packages: ${#repos[@]}"
  for spec in ${STREAMS:-"${STRATEGIES:-base,l-ldb,lora,prefix,l-eo,full}:${RETRIEVAL:-0}:${JOBS:-10}"}; do
    IFS=: read -r strategies retrieval jobs <<< "$spec"
    stream "$strategies" "$retrieval" "$jobs" &
  done
  wait
} 2>&1 | tee "$OUT/evaluate.log"
tar czf "$OUT/results.tgz" --exclude=pairs.jsonl -C "$RESULTS" .
ls -la "$OUT"
