"""Number helpers the report's modules share: a mean (NaN when there is nothing to average) and the report's
formats for a value and a p-value ("–" where there is none)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def mean(xs: Sequence[float]) -> float:
    """Arithmetic mean; NaN for an empty sequence, which :func:`fmt` renders as "–"."""
    return sum(xs) / len(xs) if xs else float("nan")


def fmt(x: float | None, digits: int = 1) -> str:
    """``x`` with ``digits`` decimals, or "–" for a missing value (None or NaN)."""
    return "–" if x is None or math.isnan(x) else f"{x:.{digits}f}"


def fmt_p(p: float | None) -> str:
    """A p-value as the report prints it: scientific below 0.001, three decimals above, "–" when untested."""
    return "–" if p is None else (f"{p:.1e}" if p < 0.001 else f"{p:.3f}")
