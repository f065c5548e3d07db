"""The systems an evaluation compares: ``retrieve`` (no model), ``base`` and each customization strategy.

A system turns the training part of a fold into a predictor and predicts candidates for the test part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from customizer.mining.pairs import Pair
from customizer.retrieval import RetrievalIndex, adapt_test

SYSTEM_ORDER = ("retrieve", "base", "full", "l-eo", "l-ldb", "prefix", "lora")  # the paper's order, the bar first


def order_systems(systems: Iterable[str]) -> list[str]:
    """Report order: retrieval, base, strategies in the paper's order, each followed by its +rK variants; the
    ``hybrid-`` lists last."""
    rank = {s: i for i, s in enumerate(SYSTEM_ORDER)}
    return sorted(systems, key=lambda s: (s.startswith("hybrid-"),
                                          rank.get(s.removeprefix("hybrid-").split("+")[0], 99), s))


def retrieve_candidates(train: Sequence[Pair], test: Sequence[Pair], k: int = 5) -> list[list[str]]:
    """The nearest developer tests of the training part, adapted by one-to-one renaming (issue: the bar)."""
    index = RetrievalIndex(train)
    out: list[list[str]] = []
    for pair in test:
        hits = index.query(pair.focal.body, k=k, class_name=pair.focal.class_)
        out.append([adapt_test(h.pair.test.body, h.pair.focal.body, pair.focal.body, h.pair.focal.class_,
                               pair.focal.class_) for h in hits])
    return out
