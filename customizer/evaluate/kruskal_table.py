"""The paper's Table 4 layout: Kruskal–Wallis p-values between every two systems (base and each strategy), on
per-pair BLEU and per-pair perplexity, pooled over the packages where both ran."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from customizer.evaluate.hybrid import is_hybrid
from customizer.evaluate.stats import Metric, kruskal, pair_scores
from customizer.evaluate.systems import RETRIEVAL_SYSTEMS, order_systems

Rows = list[dict[str, Any]]


def pair_bleu(row: dict[str, Any]) -> float | None:
    return float(row["bleu"])


def pair_perplexity(row: dict[str, Any]) -> float | None:
    """The developer test's per-token perplexity under the system's model (None for rows without NLL)."""
    if row.get("nll") is None or not row.get("ref_tokens"):
        return None
    return math.exp(float(row["nll"]) / int(row["ref_tokens"]))


def model_systems(repos: Mapping[str, Mapping[str, Rows]]) -> list[str]:
    """The systems with a model (base and strategies, with their +rK variants), in the report's order."""
    names = {s for systems in repos.values() for s in systems if s != "__runs__"}
    return order_systems(s for s in names if s not in RETRIEVAL_SYSTEMS and not is_hybrid(s))


def p_value_matrix(repos: Mapping[str, Mapping[str, Rows]], systems: list[str], metric: Metric
                   ) -> dict[tuple[str, str], tuple[float | None, int]]:
    """(p, pairs) of Kruskal–Wallis for every two systems, each on the test pairs both scored (so a system that
    ran on fewer packages is compared on those only)."""
    values = {s: pair_scores(repos, s, metric) for s in systems}
    out: dict[tuple[str, str], tuple[float | None, int]] = {}
    for a in systems:
        for b in systems:
            if a < b:
                keys = sorted(set(values[a]) & set(values[b]))
                c = kruskal(a, [values[a][k] for k in keys], b, [values[b][k] for k in keys])
                out[(a, b)] = out[(b, a)] = (c.p_value, len(keys))
    return out


def _cell(entry: tuple[float | None, int] | None) -> str:
    if entry is None or entry[1] == 0:
        return "no shared pairs"
    p, pairs = entry
    return ("–" if p is None else f"{p:.0e}" if p < 0.001 else f"{p:.2g}") + f" ({pairs})"


def render_kruskal_table(repos: Mapping[str, Mapping[str, Rows]]) -> list[str]:
    """Markdown lines: one matrix for BLEU and one for perplexity (none with fewer than two model systems)."""
    systems = model_systems(repos)
    if len(systems) < 2:
        return []
    lines = ["### Kruskal–Wallis between systems, pooled (paper Table 4 layout)", "",
             "p-values of Kruskal–Wallis on per-pair scores, pooled over every package where both systems ran, on "
             "the test pairs both scored (pairs in brackets); the paper's test, so unpaired. Perplexity is per "
             "pair here (the developer test's per-token perplexity).", ""]
    for title, metric in (("BLEU", pair_bleu), ("perplexity", pair_perplexity)):
        matrix = p_value_matrix(repos, systems, metric)
        shown = [s for s in systems if any(matrix.get((s, o), (None, 0))[1] for o in systems if o != s)]
        if len(shown) < 2:
            continue
        lines += [f"| {title} | " + " | ".join(shown) + " |", "|---" * (len(shown) + 1) + "|"]
        for a in shown:
            cells = ["–" if a == b else _cell(matrix.get((a, b))) for b in shown]
            lines.append(f"| {a} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines
