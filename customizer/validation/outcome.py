"""What validating one candidate found, and the order candidates are offered in.

A suggestion that does not compile costs the user time, so validated candidates are ranked by how far they got:
passing > failing > timeout > unchecked > not compiling > not parsing, stable within a class (the model's order).
``unchecked`` means validation could not run (no JDK, no JUnit, the project's own sources do not compile): it says
nothing about the candidate, so it sits between the outcomes that ran the test and those that could not build it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Outcome(StrEnum):
    PASSING = "passing"
    FAILING = "failing"
    TIMEOUT = "timeout"
    UNCHECKED = "unchecked"
    NOT_COMPILING = "not_compiling"
    NOT_PARSING = "not_parsing"


_ORDER = {outcome: i for i, outcome in enumerate(Outcome)}


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of one candidate plus what the user needs to act on it.

    ``message`` is the compiler's first error, the assertion message, or why nothing ran; ``isolated`` says
    whether the test ran without network (``unshare -n``); ``seconds`` is the wall time spent on the candidate.
    """

    outcome: Outcome
    message: str = ""
    isolated: bool = False
    seconds: float = 0.0
    test_class: str = ""
    test_method: str = ""

    @property
    def compiles(self) -> bool:
        return self.outcome in (Outcome.PASSING, Outcome.FAILING, Outcome.TIMEOUT)

    def summary(self) -> str:
        """A few words for a code action title: ``compiles, passes`` / ``compiles, fails`` / …"""
        return {Outcome.PASSING: "compiles, passes", Outcome.FAILING: "compiles, fails",
                Outcome.TIMEOUT: "compiles, times out", Outcome.UNCHECKED: "not verified",
                Outcome.NOT_COMPILING: "does not compile", Outcome.NOT_PARSING: "does not parse"}[self.outcome]

    def to_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome.value, "message": self.message, "isolated": self.isolated,
                "seconds": round(self.seconds, 3), "test_class": self.test_class, "test_method": self.test_method}


def outcome_rank(result: ValidationResult | None) -> int:
    """Sort key of one result: lower is better; None (not validated) counts as unchecked."""
    return _ORDER[Outcome.UNCHECKED if result is None else result.outcome]


def rank_by_validation(items: Iterable[T], result_of: Callable[[T], ValidationResult | None]) -> list[T]:
    """``items`` ordered by outcome (best first), keeping the given order (model score) within an outcome."""
    return sorted(items, key=lambda item: outcome_rank(result_of(item)))
