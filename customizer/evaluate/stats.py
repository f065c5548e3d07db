"""Statistical tests of the paper (Kruskal–Wallis, Table 4) and of issue 13 (paired Wilcoxon signed-rank).

Kruskal–Wallis compares score distributions without pairing (the paper's choice). Wilcoxon compares two systems
on the *same* test pairs, which is what the retrieval bar needs: folds are identical across systems, so every
test pair has one score per system.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

from customizer.evaluate.numbers import mean

Row = dict[str, Any]
Metric = Callable[[Row], float | None]


def pair_scores(repos: Mapping[str, Mapping[str, list[Row]]], system: str, metric: Metric) -> dict[str, float]:
    """``metric`` of each of ``system``'s rows across packages, keyed ``repo/id`` (the pairing key of the tests
    below), leaving out rows where it is None."""
    out: dict[str, float] = {}
    for repo, systems in repos.items():
        for row in systems.get(system, []):
            value = metric(row)
            if value is not None:
                out[f"{repo}/{row['id']}"] = float(value)
    return out


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    n: int
    mean_a: float
    mean_b: float
    p_value: float | None  # None when the test is undefined (too few pairs, or all differences zero)

    @property
    def delta(self) -> float:
        return self.mean_a - self.mean_b

    def significant(self, alpha: float = 0.01) -> bool:
        return self.p_value is not None and self.p_value < alpha


def kruskal(a_name: str, a: Sequence[float], b_name: str, b: Sequence[float]) -> Comparison:
    p: float | None = None
    if len(a) >= 2 and len(b) >= 2 and len(set(a) | set(b)) > 1:
        p = float(stats.kruskal(a, b).pvalue)
    return Comparison(a_name, b_name, min(len(a), len(b)), mean(a), mean(b), p)


def wilcoxon(a_name: str, a: dict[str, float], b_name: str, b: dict[str, float]) -> Comparison:
    """Paired test on the pairs both systems scored (keys are pair ids)."""
    keys = sorted(set(a) & set(b))
    xa, xb = [a[k] for k in keys], [b[k] for k in keys]
    p: float | None = None
    if len(keys) >= 6 and any(x != y for x, y in zip(xa, xb, strict=True)):
        p = float(stats.wilcoxon(xa, xb, zero_method="wilcox").pvalue)
    return Comparison(a_name, b_name, len(keys), mean(xa), mean(xb), p)
