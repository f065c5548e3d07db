"""The project's nearest existing tests for a query method, adapted to it: what ``--strategy retrieve`` returns.

BM25 proposes the first ``depth`` neighbours, each is adapted to the query (:func:`adapt_test`), and the shipped
re-ranker (:mod:`customizer.retrieval.rerank`) orders them by how good a test each makes for the query; the first
``k`` are returned. The product (:meth:`customizer.generate.Generator.retrieve`, the language server) and the
evaluation's ``retrieve`` system call this one function, so the bar the report measures is what users get.
"""

from __future__ import annotations

from typing import Literal

from customizer.retrieval.index import RetrievalIndex
from customizer.retrieval.rename import adapt_test
from customizer.retrieval.rerank import Neighbour, Reranker, shipped_reranker


def nearest_adapted(index: RetrievalIndex, focal_text: str, k: int, *, class_name: str = "",
                    exclude_focal: tuple[str, str] | None = None,
                    reranker: Reranker | Literal["shipped"] | None = "shipped") -> list[Neighbour]:
    """The ``k`` best neighbours, adapted; ``reranker=None`` keeps BM25's order."""
    chosen = shipped_reranker() if isinstance(reranker, str) else reranker
    depth = max(k, chosen.depth) if chosen is not None else k
    hits = index.query(focal_text, k=depth, class_name=class_name, exclude_focal=exclude_focal)
    neighbours = [Neighbour(h.pair, h.score, adapt_test(h.pair.test.body, h.pair.focal.body, focal_text,
                                                        h.pair.focal.class_, class_name)) for h in hits]
    if chosen is not None:
        neighbours = [neighbours[i] for i in chosen.order(focal_text, class_name, neighbours)]
    return neighbours[:k]
