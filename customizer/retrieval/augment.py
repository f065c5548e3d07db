"""Retrieval-augmented input: which existing tests of the project go into a model input, and as what text.

The same functions pick the neighbours during customization and at generation, so the model is trained on
inputs shaped like the ones it later sees. A neighbour is rendered as its focal method's signature and its
test; :func:`customizer.inputs.encode_source` puts the texts after the focal context, behind a separator.

Tests of the query's own focal method are never retrieved: not during customization (a training pair
retrieves from the *other* training pairs, leave-one-out, and not from sibling tests of its focal method) and
not at generation (the method's existing tests are left out, as ``--strategy retrieve`` does). Why: the main
use is a method with no test yet, which the ``method`` split of the evaluation measures. A model trained with
its own method's tests in the input learns to copy them, and then has nothing to copy where it is needed most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from customizer.mining.pairs import Pair
from customizer.retrieval.index import RetrievalIndex


def render_retrieved(pair: Pair) -> str:
    """What the model reads of one retrieved pair: the focal method's signature, then the test."""
    return f"{pair.focal.signature}\n{pair.test.body}"


def retrieved_texts(index: RetrievalIndex, focal_body: str, k: int, *, class_name: str = "",
                    focal: tuple[str, str] | None = None, pair_id: str | None = None) -> list[str]:
    """The rendered ``k`` nearest pairs for a query method, nearest first.

    ``focal`` = (repo-relative file, signature) of the query method leaves out its own tests; ``pair_id``
    leaves out the query pair itself (leave-one-out, for training pairs).
    """
    if k <= 0:
        return []
    hits = index.query(focal_body, k=k, class_name=class_name, exclude_focal=focal,
                       exclude_ids=() if pair_id is None else (pair_id,))
    return [render_retrieved(hit.pair) for hit in hits]


def retrieved_for_pairs(index: RetrievalIndex, pairs: Iterable[Pair], k: int) -> dict[str, list[str]]:
    """pair id → rendered neighbours from ``index``, leaving out each pair itself and its focal method's tests.

    With ``index`` built on the training pairs this serves the training pairs (leave-one-out) as well as the
    validation or test pairs (which are not in the index).
    """
    return {p.id: retrieved_texts(index, p.focal.body, k, class_name=p.focal.class_,
                                  focal=(p.focal.file, p.focal.signature), pair_id=p.id) for p in pairs}


def training_retrieval(train: Sequence[Pair], others: Sequence[Pair], k: int) -> dict[str, list[str]]:
    """Neighbours for every pair of ``train`` and ``others`` (validation/test), all drawn from ``train`` only."""
    if k <= 0:
        return {}
    index = RetrievalIndex(train)
    return retrieved_for_pairs(index, [*train, *others], k)
