"""The project's nearest existing tests for a query method, adapted to it: what ``--strategy retrieve`` returns.

BM25 proposes the first ``depth`` neighbours, each is adapted to the query (:func:`adapt_test`), and the shipped
re-ranker (:mod:`customizer.retrieval.rerank`) orders them by how good a test each makes for the query; the first
``k`` distinct ones are returned. The product (:meth:`customizer.generate.Generator.retrieve`, the language server)
and the evaluation's ``retrieve`` system call this one function, so the bar the report measures is what users get.

Given a ``likelihood`` scorer of the model that answers the request, the re-ranker's first few are re-ordered once
more with the learned likelihood stage (:mod:`customizer.retrieval.likelihood`); the product passes one only where
:func:`customizer.defaults.likelihood_orders` says so (measured: off), the evaluation always, to measure it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from operator import attrgetter
from typing import Literal, TypeVar

from customizer.java.source_text import normalize_whitespace
from customizer.retrieval.index import RetrievalIndex, Retrieved
from customizer.retrieval.likelihood import LikelihoodStage, Scorer, shipped_stage
from customizer.retrieval.rename import adapt_test
from customizer.retrieval.rerank import Neighbour, Reranker, shipped_reranker

T = TypeVar("T")


def nearest_adapted(index: RetrievalIndex, focal_text: str, k: int, *, class_name: str = "",
                    exclude_focal: tuple[str, str] | None = None,
                    reranker: Reranker | Literal["shipped"] | None = "shipped",
                    likelihood: Scorer | None = None,
                    stage: LikelihoodStage | Literal["shipped"] | None = "shipped") -> list[Neighbour]:
    """The ``k`` best distinct neighbours, adapted; ``reranker=None`` keeps BM25's order. With a ``likelihood``
    scorer (the model that will generate for this query, given its input) the re-ranker's first ``stage.scored``
    neighbours are ordered by ``stage`` (no effect without a re-ranker or a stage).

    Distinct: tests of sibling methods often adapt to the same text (``testSub1`` renamed to ``add`` is
    ``testAdd1``), and a user gains nothing from seeing one twice, so only the best-ranked of each adapted text
    (up to whitespace) is kept, and later neighbours fill the ``k`` places: beyond the re-ranker's depth (the
    number of BM25 neighbours it was trained to order), in BM25's order. So the order does not depend on ``k``: a
    shorter list is the start of a longer one.
    """
    chosen = shipped_reranker() if isinstance(reranker, str) else reranker
    depth = chosen.depth if chosen is not None else k  # what the re-ranker orders: as many as it was trained on
    # all of BM25's order (it ranks every pair anyway); beyond `depth` only what fills places left by repeats
    hits = index.query(focal_text, k=len(index), class_name=class_name, exclude_focal=exclude_focal)

    def adapted(hit: Retrieved) -> Neighbour:
        return Neighbour(hit.pair, hit.score, adapt_test(hit.pair.test.body, hit.pair.focal.body, focal_text,
                                                         hit.pair.focal.class_, class_name))

    neighbours = [adapted(h) for h in hits[:depth]]
    if chosen is not None:
        order, scores = chosen.ranked(focal_text, class_name, neighbours)
        # distinct before the likelihood stage, so that it orders different tests (places in the ranking)
        kept = list(_distinct(range(len(order)), key=lambda j: neighbours[order[j]].adapted))
        neighbours, scores = [neighbours[order[j]] for j in kept], scores[kept]
        second = shipped_stage() if isinstance(stage, str) else stage
        if likelihood is not None and second is not None and len(neighbours) > 1:
            head = min(second.scored, len(neighbours))
            scored = likelihood([n.adapted for n in neighbours[:head]])
            neighbours = [neighbours[i] for i in second.order(scores[:head], scored)] + neighbours[head:]
    # where repeats leave fewer than k, BM25's next neighbours, in its order, fill the places (adapted lazily: only
    # as many as are taken)
    filler = (adapted(h) for h in hits[depth:])
    return list(islice(_distinct(chain(neighbours, filler)), k))


def _distinct(items: Iterable[T], key: Callable[[T], str] = attrgetter("adapted")) -> Iterator[T]:
    """``items`` in order, each kept only if no earlier one has the same ``key`` text up to whitespace (lazily)."""
    seen: set[str] = set()
    for item in items:
        text = normalize_whitespace(key(item))
        if text not in seen:
            seen.add(text)
            yield item
