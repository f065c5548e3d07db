"""Loop blocking while decoding and loop detection after it: :class:`LoopBlocker` (a unit repeated back to back),
:class:`WindowLoopBlocker` (a unit repeated within a window), :func:`is_degenerate`, and what each would alter in
a corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch
from transformers import LogitsProcessor

MAX_REPEATS = 8  # a unit may repeat this many times back to back while decoding
MAX_PERIOD = 32  # ... for units of 1..MAX_PERIOD tokens (line-sized loops included)
DEGENERATE_REPEATS = 10  # a unit of 1..4 code tokens repeated this often marks a candidate degenerate (TeCo)
DEGENERATE_LINE_REPEATS = 6  # the same line this often in one test: degenerate (0.43% of developer tests)
WINDOW_REPEATS = 10  # a unit of WINDOW_UNITS tokens may occur this often in the last WINDOW tokens (WindowLoopBlocker)
WINDOW_UNITS = (3, 16)
WINDOW = 64
_CODE_TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d+|\S")


class LoopBlocker(LogitsProcessor):
    """Forbid the next token when it would repeat a unit of 1..``max_period`` tokens more than
    ``max_repeats`` times back to back. Shorter repetition (four ``assertEquals`` lines) is never touched."""

    def __init__(self, max_repeats: int = MAX_REPEATS, max_period: int = MAX_PERIOD) -> None:
        if max_repeats < 1 or max_period < 1:
            raise ValueError("max_repeats and max_period must be at least 1")
        self.max_repeats = max_repeats
        self.max_period = max_period

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        length = input_ids.shape[1]
        for period in range(1, self.max_period + 1):
            span = period * self.max_repeats
            if span > length:
                break
            tail = input_ids[:, -span:]
            # the last `span` tokens have period `period`: the unit occurred max_repeats times in a row
            looping = (tail[:, period:] == tail[:, :-period]).all(dim=1)
            if looping.any():
                rows = looping.nonzero().squeeze(1)
                scores[rows, input_ids[rows, -period]] = -float("inf")
        return scores


class WindowLoopBlocker(LogitsProcessor):
    """Forbid the next token when it would complete a unit of ``units`` tokens that already occurs
    ``max_count`` times (anywhere, not necessarily back to back) within the last ``window`` tokens."""

    def __init__(self, max_count: int = WINDOW_REPEATS, units: tuple[int, int] = WINDOW_UNITS,
                 window: int = WINDOW) -> None:
        if max_count < 2 or units[0] < 2 or units[1] < units[0] or window <= units[1]:
            raise ValueError("need max_count >= 2, 2 <= shortest unit <= longest unit < window")
        self.max_count, self.units, self.window = max_count, units, window

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        w = min(self.window, input_ids.shape[1])
        tail = input_ids[:, -w:]
        for p in range(self.units[0], min(self.units[1], w) + 1):
            k = p - 1  # the unit's first k tokens are the tail's last k: which next tokens complete it?
            starts = tail.unfold(1, k, 1)[:, : w - p + 1]  # occurrences that end inside the window
            match = (starts == tail[:, w - k:].unsqueeze(1)).all(-1)
            if not match.any():
                continue
            counts = torch.zeros(scores.shape, dtype=torch.int32, device=scores.device)
            counts.scatter_add_(1, tail[:, p - 1:], match.to(torch.int32))
            scores[counts >= self.max_count] = -float("inf")
        return scores


def corpus_window_alterations(sequences: Iterable[Sequence[int]], max_count: int = WINDOW_REPEATS,
                              units: tuple[int, int] = WINDOW_UNITS, window: int = WINDOW) -> tuple[int, int]:
    """(sequences :class:`WindowLoopBlocker` would have altered, sequences seen)."""
    altered = seen = 0
    for seq in sequences:
        seen += 1
        s = list(seq)
        hit = False
        for p in range(units[0], units[1] + 1):
            ends: dict[tuple[int, ...], list[int]] = {}
            for e in range(p - 1, len(s)):
                unit = tuple(s[e - p + 1:e + 1])
                earlier = [x for x in ends.get(unit, ()) if x >= e - window + p - 1]  # inside the window
                if len(earlier) >= max_count:
                    hit = True
                    break
                ends[unit] = [*earlier, e]
            if hit:
                break
        altered += hit
    return altered, seen


def is_degenerate(text: str, repeats: int = DEGENERATE_REPEATS, max_period: int = 4,
                  line_repeats: int | None = DEGENERATE_LINE_REPEATS) -> bool:
    """True when a unit of 1..``max_period`` code tokens occurs ``repeats`` times in a row, or the same
    line (of more than 3 characters) ``line_repeats`` times anywhere in it (None: not checked): a loop varied
    just enough to escape the blocker still repeats its lines."""
    tokens = _CODE_TOKEN.findall(text)
    for period in range(1, max_period + 1):
        run = 0
        for i in range(period, len(tokens)):
            run = run + 1 if tokens[i] == tokens[i - period] else 0
            if run >= period * (repeats - 1):
                return True
    if line_repeats is None:
        return False
    counts = Counter(" ".join(line.split()) for line in text.splitlines())
    return any(count >= line_repeats for line, count in counts.items() if len(line) > 3)


def corpus_loop_alterations(sequences: Iterable[Sequence[int]], max_repeats: int = MAX_REPEATS,
                            max_period: int = MAX_PERIOD) -> tuple[int, int]:
    """(sequences :class:`LoopBlocker` would have altered, sequences seen): how often a setting would forbid
    repetition that developers actually wrote."""
    altered = seen = 0
    for seq in sequences:
        seen += 1
        s = list(seq)
        hit = False
        for period in range(1, max_period + 1):
            run = 0
            for i in range(period, len(s)):
                run = run + 1 if s[i] == s[i - period] else 0
                if run >= period * max_repeats:  # the (max_repeats + 1)-th copy has begun
                    hit = True
                    break
            if hit:
                break
        altered += hit
    return altered, seen
