"""Corpus pairs with their own package's nearest other tests in the input, built as the product builds them.

The product can put a project's k nearest existing tests into the model input (``--retrieval k``,
:mod:`customizer.retrieval.augment`). A base model that never saw such inputs has to learn to read them from a
few hundred pairs during personalization; one trained with them learns it from the whole corpus. Each corpus
package plays the role of a user's project: a pair retrieves from the *other* pairs of its package
(leave-one-out, never tests of its own focal method, exactly :func:`training_retrieval`), and each pair gets a
k drawn from ``ks`` (seeded), so the model also keeps writing tests from the focal method alone (k = 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from customizer.mining.pairs import Pair
from customizer.retrieval.augment import training_retrieval


def parse_ks(text: str) -> tuple[int, ...]:
    """``"0,1,2,3"`` → (0, 1, 2, 3): the numbers of retrieved tests a pair's input may carry, drawn uniformly."""
    try:
        ks = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"--retrieval-mix takes comma-separated counts such as 0,1,2,3, not {text!r}") from None
    if not ks or min(ks) < 0:
        raise ValueError(f"--retrieval-mix takes comma-separated counts >= 0, not {text!r}")
    return ks


def attach_retrieved(pairs: Iterable[dict], ks: Sequence[int], seed: int = 0) -> Iterator[dict]:
    """Each pair dict with ``retrieval_k`` (drawn from ``ks``) and ``retrieved`` (its k nearest, nearest first).

    Pairs come out grouped by package (sorted by name); ``retrieved`` may hold fewer than k texts where the
    package has fewer other focal methods, and the source budget still follows k, as in the product.
    """
    groups: dict[str, list[dict]] = defaultdict(list)
    for d in pairs:
        groups[d.get("repo", "")].append(d)
    rng = np.random.default_rng(seed)
    k_max = max(ks)
    for repo in sorted(groups):
        group = groups[repo]
        objs = [Pair.from_dict(d) for d in group]
        neighbours = training_retrieval(objs, [], k_max)
        for d, pair in zip(group, objs, strict=True):
            k = int(ks[int(rng.integers(len(ks)))])
            yield {**d, "retrieval_k": k, "retrieved": neighbours.get(pair.id, [])[:k]}
