"""What ordering the model's candidates by agreement with the project's nearest tests costs per request.

For every row of a system's stored evaluation cells (its candidates in beam order) the candidates are ordered as
the product orders them (:func:`customizer.retrieval.agreement.agreement_order` against the ``retrieve`` cell's
nearest tests of the same pair), timed alone; the first call is made before timing (imports, parser set-up).
Prints a Markdown row for ``docs/benchmarks.md``.
Usage: ``python bench/bench_agreement.py [--results ~/.cache/testtailor-dev/eval/results] [--system l-ldb]
[--split method]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import cpu_description, percentile

from customizer.retrieval.agreement import agreement_order


def _rows(path: Path) -> dict[str, dict]:
    with path.open() as f:
        return {row["id"]: row for row in map(json.loads, f)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path.home() / ".cache/testtailor-dev/eval/results")
    parser.add_argument("--system", default="l-ldb")
    parser.add_argument("--split", default="method")
    args = parser.parse_args()
    work = []
    for fold in sorted(args.results.glob(f"*/{args.split}/fold*")):
        model, bar = fold / f"{args.system}.jsonl", fold / "retrieve.jsonl"
        if model.exists() and bar.exists():
            nearest = _rows(bar)
            work += [(row["candidates"], nearest[row["id"]]["candidates"]) for row in _rows(model).values()
                     if row.get("candidates") and nearest.get(row["id"], {}).get("candidates")]
    if not work:
        raise SystemExit(f"no {args.system} and retrieve cells with candidates under {args.results}/*/{args.split}")
    agreement_order(*work[0])
    times = []
    for candidates, tests in work:
        start = time.perf_counter()
        agreement_order(candidates, tests)
        times.append(1000 * (time.perf_counter() - start))
    load = os.getloadavg()[0]
    print(f"<!-- {cpu_description()}; 1-minute load average {load:.1f} -->")
    print(f"| agreement order, {args.system} candidates, {args.split} split ({len(work)} requests) | "
          f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, max {max(times):.1f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
