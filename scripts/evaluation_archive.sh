#!/usr/bin/env bash
# The evaluation's stored cells, kept in the repository so that `docs/evaluation.md` can be regenerated (and
# checked) without rerunning a GPU evaluation: `pack` writes docs/results/evaluation-results.tar.xz from the results
# folder (every cell's rows and run record; the mined pairs.jsonl caches are left out, mining remakes them), and
# `unpack` restores a results folder from it, after which
#   testtailor evaluate-report --out "$OUT" --docs docs
# regenerates the report. OUT defaults to $TESTTAILOR_DEV_CACHE/eval/results (~/.cache/testtailor-dev/...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARCHIVE="${ARCHIVE:-$ROOT/docs/results/evaluation-results.tar.xz}"
OUT="${OUT:-${TESTTAILOR_DEV_CACHE:-$HOME/.cache/testtailor-dev}/eval/results}"
case "${1:-}" in
  pack)
    [ -d "$OUT" ] || { echo "no results folder at $OUT" >&2; exit 2; }
    mkdir -p "$(dirname "$ARCHIVE")"
    tmp="$ARCHIVE.tmp.$$"
    # deterministic: sorted names, no timestamps or owners, so an unchanged folder gives the same bytes
    (cd "$OUT" && find . -type f \( -name '*.jsonl' -o -name '*.run.json' \) ! -name pairs.jsonl ! -name '.*' \
        | LC_ALL=C sort | tar --no-recursion --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -T -) \
        | xz -9e -T1 > "$tmp"
    mv "$tmp" "$ARCHIVE"
    echo "packed $(tar tJf "$ARCHIVE" | wc -l) files from $OUT into $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
    ;;
  unpack)
    mkdir -p "$OUT"
    tar xJf "$ARCHIVE" -C "$OUT"
    echo "unpacked $(tar tJf "$ARCHIVE" | wc -l) files into $OUT"
    ;;
  *)
    echo "usage: $0 pack|unpack   (OUT=results folder, default $OUT)" >&2
    exit 2
    ;;
esac
