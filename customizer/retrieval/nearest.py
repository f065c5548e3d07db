"""The project's nearest existing tests for a query method, adapted to it: what ``--strategy retrieve`` returns.

BM25 proposes the first ``depth`` neighbours, each is adapted to the query (:func:`adapt_test`), and the shipped
re-ranker (:mod:`customizer.retrieval.rerank`) orders them by how good a test each makes for the query; the first
``k`` are returned. The product (:meth:`customizer.generate.Generator.retrieve`, the language server) and the
evaluation's ``retrieve`` system call this one function, so the bar the report measures is what users get.

Given a ``likelihood`` scorer of the model that answers the request, the re-ranker's first few are re-ordered once
more with the learned likelihood stage (:mod:`customizer.retrieval.likelihood`); the product passes one only where
:func:`customizer.defaults.likelihood_orders` says so (measured: off), the evaluation always, to measure it.
"""

from __future__ import annotations

from typing import Literal

from customizer.retrieval.index import RetrievalIndex
from customizer.retrieval.likelihood import LikelihoodStage, Scorer, shipped_stage
from customizer.retrieval.rename import adapt_test
from customizer.retrieval.rerank import Neighbour, Reranker, shipped_reranker


def nearest_adapted(index: RetrievalIndex, focal_text: str, k: int, *, class_name: str = "",
                    exclude_focal: tuple[str, str] | None = None,
                    reranker: Reranker | Literal["shipped"] | None = "shipped",
                    likelihood: Scorer | None = None,
                    stage: LikelihoodStage | Literal["shipped"] | None = "shipped") -> list[Neighbour]:
    """The ``k`` best neighbours, adapted; ``reranker=None`` keeps BM25's order. With a ``likelihood`` scorer
    (the model that will generate for this query, given its input) the re-ranker's first ``stage.scored``
    neighbours are ordered by ``stage`` (no effect without a re-ranker or a stage)."""
    chosen = shipped_reranker() if isinstance(reranker, str) else reranker
    depth = max(k, chosen.depth) if chosen is not None else k
    hits = index.query(focal_text, k=depth, class_name=class_name, exclude_focal=exclude_focal)
    neighbours = [Neighbour(h.pair, h.score, adapt_test(h.pair.test.body, h.pair.focal.body, focal_text,
                                                        h.pair.focal.class_, class_name)) for h in hits]
    if chosen is None:
        return neighbours[:k]
    order, scores = chosen.ranked(focal_text, class_name, neighbours)
    neighbours = [neighbours[i] for i in order]
    second = shipped_stage() if isinstance(stage, str) else stage
    if likelihood is not None and second is not None and len(neighbours) > 1:
        head = min(second.scored, len(neighbours))
        scored = likelihood([n.adapted for n in neighbours[:head]])
        neighbours = [neighbours[i] for i in second.order(scores[:head], scored)] + neighbours[head:]
    return neighbours[:k]
