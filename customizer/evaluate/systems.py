"""The systems an evaluation compares: ``retrieve`` (no model), ``base`` and each customization strategy.

A system turns the training part of a fold into a predictor and predicts candidates for the test part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from customizer.mining.pairs import Pair
from customizer.retrieval import RetrievalIndex, nearest_adapted

# the paper's order, the bar first; ``retrieve-bm25`` is the bar without the re-ranker (BM25's order), for comparison
SYSTEM_ORDER = ("retrieve", "retrieve-bm25", "base", "full", "l-eo", "l-ldb", "prefix", "lora")
RETRIEVAL_SYSTEMS = ("retrieve", "retrieve-bm25")
HYBRID_PREFIX = "hybrid-"  # hybrid-<system>: retrieved tests first, then the system's (customizer.evaluate.hybrid)


def system_rank(system: str) -> tuple[bool, int, str]:
    """Sort key of the report order: retrieval, base, strategies in the paper's order, each followed by its +rK
    variants; the ``hybrid-`` lists last."""
    name = system.removeprefix(HYBRID_PREFIX).split("+")[0]
    return system.startswith(HYBRID_PREFIX), SYSTEM_ORDER.index(name) if name in SYSTEM_ORDER else 99, system


def order_systems(systems: Iterable[str]) -> list[str]:
    return sorted(systems, key=system_rank)


def retrieve_candidates(train: Sequence[Pair], test: Sequence[Pair], k: int = 5, rerank: bool = True
                        ) -> list[list[str]]:
    """The nearest developer tests of the training part, adapted by one-to-one renaming and re-ranked, as the
    product retrieves them (:func:`customizer.retrieval.nearest_adapted`): the bar. ``rerank=False``: BM25's
    order (``retrieve-bm25``)."""
    index = RetrievalIndex(train)
    return [[n.adapted for n in nearest_adapted(index, pair.focal.body, k, class_name=pair.focal.class_,
                                                reranker="shipped" if rerank else None)] for pair in test]
