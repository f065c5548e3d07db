"""Checks made each time a beam completes a line: :class:`LineLoopStopper` (the same line again and again),
:class:`RedeclarationStopper` (a local declared twice) and :class:`SyntaxGuard` (the line that breaks the syntax).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from transformers import LogitsProcessor

from customizer.decoding.repair import boundaries, closing
from customizer.decoding.tokens import newline_token_mask
from customizer.java.snippets import first_syntax_error, redeclared_locals

MAX_LINE_REPEATS = 6  # the 6th copy of a line ends the beam (LineLoopStopper)
LINE_LOOP_PENALTY = -5.0  # log-probability given to the forced end of a beam that repeats a line
SYNTAX_PENALTY = 20.0  # subtracted from a beam's log-probability on the line that brings a syntax error (SyntaxGuard)
REDECLARED_PENALTY = -1.0e4  # log-probability of the forced end of a beam that declares a local twice: the beam
# drops out (any other continuation outscores it) unless nothing else is left


def _normalized_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n")]


class _LineEndCheck(LogitsProcessor):
    """Judge a beam's text (:meth:`flags`) each time its last token holds a newline (one decode per generated
    line) and act on the flagged rows (:meth:`act`)."""

    def __init__(self, tokenizer: Any, penalty: float) -> None:
        self.tokenizer = tokenizer
        self.penalty = penalty
        self.eos = tokenizer.eos_token_id
        self.newline = newline_token_mask(tokenizer)

    def flags(self, text: str) -> bool:
        raise NotImplementedError

    def act(self, scores: torch.FloatTensor, row: int) -> None:
        raise NotImplementedError

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        last = input_ids[:, -1].cpu()
        rows = (last < len(self.newline)) & self.newline[last.clamp(max=len(self.newline) - 1)]
        for row in rows.nonzero().flatten().tolist():
            text = self.tokenizer.decode(input_ids[row].tolist(), skip_special_tokens=True,
                                         clean_up_tokenization_spaces=False)
            if self.flags(text):
                self.act(scores, row)
        return scores


class _LineEndStopper(_LineEndCheck):
    """End a flagged beam: end-of-sequence is its only continuation, at ``penalty``."""

    def act(self, scores: torch.FloatTensor, row: int) -> None:
        scores[row, :] = -float("inf")
        scores[row, self.eos] = self.penalty


class LineLoopStopper(_LineEndStopper):
    """Stop a beam once it completes a line of 4+ characters for the ``max_line_repeats``-th time."""

    def __init__(self, tokenizer: Any, max_line_repeats: int = MAX_LINE_REPEATS,
                 penalty: float = LINE_LOOP_PENALTY) -> None:
        if max_line_repeats < 2:
            raise ValueError("max_line_repeats must be at least 2")
        super().__init__(tokenizer, penalty)
        self.max_line_repeats = max_line_repeats

    def flags(self, text: str) -> bool:
        done = [line for line in _normalized_lines(text)[:-1] if line]  # the last piece is still open
        return bool(done) and len(done[-1]) >= 4 and done.count(done[-1]) >= self.max_line_repeats


class RedeclarationStopper(_LineEndStopper):
    """Stop a beam once a line it completes declares a local again while an earlier local of that name is in
    scope: such a test cannot compile, and every copy after the first is a loop (one parse per generated line).

    Apply it after every processor that rescales the end-of-sequence score (``ExponentialDecayLengthPenalty``
    would turn a large negative score positive)."""

    def __init__(self, tokenizer: Any, penalty: float = REDECLARED_PENALTY) -> None:
        super().__init__(tokenizer, penalty)

    def flags(self, text: str) -> bool:
        return redeclares_so_far(text)


class SyntaxGuard(_LineEndCheck):
    """Lower a beam's score by ``penalty`` (every continuation, so the beam falls behind the others but is kept
    when nothing else is left) once a line it completes brings a syntax error into the method so far
    (:func:`breaks_syntax`): after an unparsable line no candidate parses, and a weak model often loops on from
    there. One parse per generated line; each error is charged once, on the line that brings it.

    A penalty, not a stop: a beam ended by force keeps its broken line, and if every beam broke the syntax the
    best of them should still go on. Apply it after every processor that rescales the end-of-sequence score."""

    def __init__(self, tokenizer: Any, penalty: float = SYNTAX_PENALTY) -> None:
        super().__init__(tokenizer, penalty)

    def flags(self, text: str) -> bool:
        return breaks_syntax(text)

    def act(self, scores: torch.FloatTensor, row: int) -> None:
        scores[row, :] -= self.penalty


def breaks_syntax(text: str) -> bool:
    """True when the last completed line of the unfinished method ``text`` (everything before its last newline)
    ends a statement (``;`` or ``}``, parentheses balanced, inside the body) and, with the open braces closed, the
    method's first syntax error starts after the previous statement's end: the line, or the unfinished lines just
    before it, brought the error. Lines that end mid-statement are not judged (nothing to judge yet), nor is an
    error first seen in the closing braces added here (an anonymous class still wants its ``;``)."""
    done = text[:text.rfind("\n")].rstrip()
    if not done.endswith((";", "}", "{")) or done.rfind("/*") > done.rfind("*/"):  # not inside a block comment
        return False
    shape = boundaries(done)
    if shape.parens != 0 or shape.braces < 1:
        return False
    line_start = done.rfind("\n") + 1
    region = max((end for end, _ in shape.ends if end <= line_start), default=0)
    error = first_syntax_error(done + closing(shape.heads))
    return error is not None and region <= error < len(done)


def syntax_alterations(texts: Iterable[str]) -> tuple[int, int]:
    """(tests :class:`SyntaxGuard` would have penalized, tests seen): :func:`breaks_syntax` asked at every line end,
    as the guard asks while decoding. Run on tests that parse, anything counted is a fault of the judgement."""
    texts = list(texts)
    altered = sum(any(breaks_syntax(text[:i + 1]) for i, ch in enumerate(text) if ch == "\n") for text in texts)
    return altered, len(texts)


def redeclares_so_far(text: str) -> bool:
    """True when the unfinished method ``text``, its open braces closed, parses and declares a local twice in one
    scope. An unfinished statement (open parenthesis, a line cut mid-expression) gives False: nothing to judge yet."""
    shape = boundaries(text.rstrip())
    if shape.parens != 0 or shape.braces < 0:
        return False
    return bool(redeclared_locals(text.rstrip() + closing(shape.heads)))
