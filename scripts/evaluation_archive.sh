#!/usr/bin/env bash
# The evaluation's stored cells, kept in the repository so that `docs/evaluation.md` can be regenerated (and
# checked) without rerunning a GPU evaluation: `pack` writes docs/results/evaluation-results.tar.xz from the results
# folder (every cell's rows and run record) and docs/results/evaluation-pairs.tar.xz (each package's mined
# pairs.jsonl: the pairs the cells were scored on, kept because a later miner maps more tests, which would change
# the folds), and `unpack` restores a results folder from both, after which
#   testtailor evaluate-report --out "$OUT" --docs docs
# regenerates the report. OUT defaults to $TESTTAILOR_DEV_CACHE/eval/results (~/.cache/testtailor-dev/...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCHIVE="${ARCHIVE:-$ROOT/docs/results/evaluation-results.tar.xz}"
PAIRS="${PAIRS:-$(dirname "$ARCHIVE")/evaluation-pairs.tar.xz}"
OUT="${OUT:-${TESTTAILOR_DEV_CACHE:-$HOME/.cache/testtailor-dev}/eval/results}"
case "${1:-}" in
  pack)
    [ -d "$OUT" ] || { echo "no results folder at $OUT" >&2; exit 2; }
    mkdir -p "$(dirname "$ARCHIVE")"
    pack() {  # archive, then find's tests: deterministic (sorted names, no timestamps or owners), so an unchanged
              # folder gives the same bytes and git stores nothing new
      local tmp="$1.tmp.$$"
      (cd "$OUT" && find . -type f "${@:2}" ! -name '.*' | LC_ALL=C sort \
          | tar --no-recursion --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -T -) | xz -9e -T1 > "$tmp"
      mv "$tmp" "$1"
      echo "packed $(tar tJf "$1" | wc -l) files from $OUT into $1 ($(du -h "$1" | cut -f1))"
    }
    pack "$ARCHIVE" \( -name '*.jsonl' -o -name '*.run.json' \) ! -name pairs.jsonl
    pack "$PAIRS" -name pairs.jsonl
    ;;
  unpack)
    mkdir -p "$OUT"
    for archive in "$ARCHIVE" "$PAIRS"; do
      [ -f "$archive" ] || continue
      tar xJf "$archive" -C "$OUT"
      echo "unpacked $(tar tJf "$archive" | wc -l) files into $OUT"
    done
    ;;
  *)
    echo "usage: $0 pack|unpack   (OUT=results folder, default $OUT)" >&2
    exit 2
    ;;
esac
