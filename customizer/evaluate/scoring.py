"""Score one system's candidates for one fold: a row of metrics per test pair."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from customizer.evaluate.abstraction import abstracted_match
from customizer.evaluate.metrics import bleu, exact_match, parses_as_method
from customizer.mining.pairs import Pair

TOP_K = 5


def score_pair(pair: Pair, candidates: Sequence[str], nll: tuple[float, int] | None = None,
               hit_limit: bool | None = None) -> dict[str, Any]:
    """Metrics of one pair: BLEU and parse of the top-1, cumulative top-k exact/abstracted hits, NLL.

    ``nll`` is (summed negative log-likelihood of the developer-written test, its token count); perplexity is
    aggregated from these sums, so it is per token over a whole project, as in the paper. The top ``TOP_K``
    candidates are kept in the row so ``testtailor evaluate --validate`` can compile and run them later.
    """
    ref = pair.test.body
    top1 = candidates[0] if candidates else ""
    exact, abstracted = [], []
    hit_e = hit_a = False
    for k in range(TOP_K):
        if k < len(candidates):
            hit_e = hit_e or exact_match(candidates[k], ref)
            hit_a = hit_a or hit_e or abstracted_match(candidates[k], ref)
        exact.append(hit_e)
        abstracted.append(hit_a)
    return {
        "id": pair.id, "focal": pair.focal.method, "bleu": round(bleu(top1, ref), 3) if top1 else 0.0,
        "exact": exact, "abstracted": abstracted, "parses": bool(top1) and parses_as_method(top1),
        "focal_name": pair.focal.method in top1, "hit_limit": hit_limit,
        "nll": None if nll is None else round(nll[0], 4), "ref_tokens": None if nll is None else nll[1],
        "top1": top1, "reference": ref, "candidates": list(candidates[:TOP_K]),
    }


def perplexity(rows: Sequence[dict[str, Any]]) -> float | None:
    """Per-token perplexity over rows that carry NLL sums (None when no row does)."""
    total = sum(r["nll"] for r in rows if r.get("nll") is not None)
    count = sum(r["ref_tokens"] for r in rows if r.get("ref_tokens"))
    return math.exp(total / count) if count else None
