"""Ranking candidates (those that parse and do not loop first, then beam score plus the length term) and merging the
project's retrieved tests into the list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from customizer.decoding.length_prior import LengthPrior
from customizer.defaults import DEFAULT_RETRIEVED_FIRST

LENGTH_WEIGHT = 0.1  # weight of the length term (log-normal, 0 at the median) in the ranking score


class Rankable(Protocol):
    """What ranking reads from a candidate."""

    score: float  # beam score (length-normalized log-probability)
    parses: bool
    redeclares: bool  # declares a local again while it is in scope (javac rejects it)
    degenerate: bool


R = TypeVar("R", bound=Rankable)


def rank(items: Sequence[R], lengths: Sequence[int], prior: LengthPrior | None,
         length_weight: float = LENGTH_WEIGHT) -> list[R]:
    """Parsing candidates first, then those that declare no local twice, then non-looping ones; within each group
    by beam score plus the length term (``length_weight`` x the prior's log-weight of the candidate's token
    length)."""

    def key(pair: tuple[R, int]) -> tuple[bool, bool, bool, float]:
        item, length = pair
        term = 0.0 if prior is None or length_weight == 0 else length_weight * prior.log_weight(length)
        return (not item.parses, item.redeclares, item.degenerate, -(item.score + term))

    return [item for item, _ in sorted(zip(items, lengths, strict=True), key=key)]


def lead_with(first: Sequence[R], rest: Sequence[R], k: int, key: Callable[[R], str]) -> list[R]:
    """At most ``k`` items: ``first``, then ``rest``, dropping any whose ``key`` (whitespace-normalized code, say)
    was already taken; the product's candidate list with retrieved tests first, and the evaluation's copy of it."""
    seen: set[str] = set()
    out: list[R] = []
    for item in (*first, *rest):
        if len(out) == k:
            break
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return out


def retrieved_tests_first(k: int, requested: int | None = None) -> int:
    """How many of ``k`` candidates are the project's nearest tests: ``requested`` (default
    ``DEFAULT_RETRIEVED_FIRST``), but a list of two or more keeps its last place for the model."""
    wanted = DEFAULT_RETRIEVED_FIRST if requested is None else requested
    return max(0, min(wanted, k - 1 if k > 1 else k))
