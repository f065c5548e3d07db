"""Two systems compared pair by pair, across result folders: a new base model against the shipped one's cells.

``testtailor evaluate-compare A B`` where each side is ``RESULTS_DIR:SYSTEM`` (``…/results:base``,
``…/results-v2:base+r2``). The pairs both sides scored — same repository, split, fold and pair id, which the
seeded folds guarantee when both ran the same ``--max-test`` — are compared with the paired Wilcoxon test of
the report (:func:`customizer.evaluate.stats.wilcoxon`) on BLEU-4, beside top-1 abstracted match, top-1 parse
rate and the share cut at the length limit of each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from customizer.evaluate.stats import Comparison, wilcoxon
from customizer.evaluate.store import iter_cells


@dataclass(frozen=True)
class Side:
    results: Path
    system: str

    @classmethod
    def parse(cls, text: str) -> Side:
        folder, sep, system = text.rpartition(":")
        if not sep or not folder or not system:
            raise ValueError(f"a side is RESULTS_DIR:SYSTEM (e.g. evaluation-results:l-ldb), not {text!r}")
        return cls(Path(folder).expanduser(), system)

    @property
    def label(self) -> str:
        return f"{self.results.name}:{self.system}"


def scored_pairs(side: Side, split: str) -> dict[str, dict[str, Any]]:
    """``repo/fold/pair id`` → the stored row of every pair ``side.system`` scored on ``split``."""
    rows: dict[str, dict[str, Any]] = {}
    for cell, cell_rows, _ in iter_cells(side.results):
        if cell.system == side.system and cell.split == split:
            rows.update({f"{cell.repo}/{cell.fold}/{r['id']}": r for r in cell_rows})
    return rows


def _share(rows: list[dict[str, Any]], flag) -> float:
    return 100 * sum(bool(flag(r)) for r in rows) / len(rows) if rows else float("nan")


def compare(a: Side, b: Side, split: str = "method") -> tuple[Comparison, list[str]]:
    """The BLEU-4 comparison on the common pairs and lines that say it with the other measures."""
    rows_a, rows_b = scored_pairs(a, split), scored_pairs(b, split)
    common = sorted(set(rows_a) & set(rows_b))
    if not common:
        raise ValueError(f"{a.label} and {b.label} share no scored pair on the {split} split "
                         f"({len(rows_a)} and {len(rows_b)} pairs)")
    result = wilcoxon(a.label, {k: rows_a[k]["bleu"] for k in common}, b.label, {k: rows_b[k]["bleu"] for k in common})
    repos = len({k.split("/")[0] for k in common})
    p = "n/a" if result.p_value is None else f"{result.p_value:.2g}"
    lines = [f"{split} split, {result.n} pairs of {repos} repositories scored by both",
             f"BLEU-4: {a.label} {result.mean_a:.1f} vs {b.label} {result.mean_b:.1f} "
             f"({result.delta:+.1f}, paired Wilcoxon p = {p})"]
    for label, rows in ((a.label, [rows_a[k] for k in common]), (b.label, [rows_b[k] for k in common])):
        lines.append(f"{label}: top-1 abstracted match {_share(rows, lambda r: r['abstracted'][0]):.1f}%, "
                     f"parses {_share(rows, lambda r: r.get('parses')):.1f}%, "
                     f"cut at the length limit {_share(rows, lambda r: r.get('hit_limit')):.1f}%")
    return result, lines
