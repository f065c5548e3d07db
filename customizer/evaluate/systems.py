"""The systems an evaluation compares: ``retrieve`` (no model), ``base`` and each customization strategy.

A system turns the training part of a fold into a predictor and predicts candidates for the test part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from customizer.mining.pairs import Pair
from customizer.retrieval import RetrievalIndex, adapt_test

SYSTEM_ORDER = ("retrieve", "base", "full", "l-eo", "l-ldb", "prefix", "lora")  # the paper's order, the bar first
HYBRID_PREFIX = "hybrid-"  # hybrid-<system>: retrieved tests first, then the system's (customizer.evaluate.hybrid)


def system_rank(system: str) -> tuple[bool, int, str]:
    """Sort key of the report order: retrieval, base, strategies in the paper's order, each followed by its +rK
    variants; the ``hybrid-`` lists last."""
    name = system.removeprefix(HYBRID_PREFIX).split("+")[0]
    return system.startswith(HYBRID_PREFIX), SYSTEM_ORDER.index(name) if name in SYSTEM_ORDER else 99, system


def order_systems(systems: Iterable[str]) -> list[str]:
    return sorted(systems, key=system_rank)


def retrieve_candidates(train: Sequence[Pair], test: Sequence[Pair], k: int = 5) -> list[list[str]]:
    """The nearest developer tests of the training part, adapted by one-to-one renaming (issue: the bar)."""
    index = RetrievalIndex(train)
    out: list[list[str]] = []
    for pair in test:
        hits = index.query(pair.focal.body, k=k, class_name=pair.focal.class_)
        out.append([adapt_test(h.pair.test.body, h.pair.focal.body, pair.focal.body, h.pair.focal.class_,
                               pair.focal.class_) for h in hits])
    return out
