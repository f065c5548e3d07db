"""Decoding pieces that make beam search return tests: loop blocking, a length prior, truncation repair, ranking.

Why each piece exists (measured by ``scripts/decoding_stats.py``; numbers in the "Decoding" section of
``docs/evaluation.md``):

* **Loops.** Weak models loop on a unit until the length limit (``"%s%s%s…"``, whole ``assertEquals(…);``
  lines). Code repeats legitimately, so plain n-gram blocking is wrong for it. :class:`LoopBlocker` forbids
  only the token that would repeat a unit of 1..``max_period`` tokens more than ``max_repeats`` times back to
  back: 8 repeats of units up to 32 tokens alter 57 of the base corpus' 53,677 developer tests (0.11%), the
  same 57 as the first version's units of up to 4 tokens, which missed line-sized loops. A loop varied just
  enough to escape the blocker is caught by the line stop below and by :func:`is_degenerate`, and ranked last.
* **Line loops.** A loop that varies inside its period (``// then`` / ``boolean x;`` / ``boolean x = x;`` …)
  escapes the token blocker but repeats whole lines. :class:`LineLoopStopper` ends a beam, with a penalty,
  when a line of 4+ characters is completed for the 6th time: 231 of the base corpus' 53,677 developer tests
  (0.43%; 5+ times: 0.76%) repeat a line that often, and such a candidate counts as degenerate.
* **Varied loops inside a line.** ``SecurityException, SecurityException, IllegalAccessException,
  SecurityException, …`` or ``"1.0", "1.0", "1.0.0", "1.0", …`` never repeat back to back long enough for the
  token blocker nor span lines. :class:`WindowLoopBlocker` forbids the token that would make a unit of 3..16
  tokens occur an 11th time within the last 64 tokens: 156 of the base corpus' 53,677 developer tests (0.29%;
  numeric tables such as matrices and zero-filled byte arrays) would have been altered.
* **Locals declared twice.** A loop that writes ``boolean isExempt = false;`` line after line cannot compile
  (javac: "variable isExempt is already defined"). Once a line reads ``Type name`` with ``name`` a local already
  in scope, nothing but a longer name can make it valid Java, so :class:`RedeclarationBlocker` lets the name only
  grow (``url`` → ``url2``; a name already followed by a space ends the beam). Its first version forbade only the
  ``=``, ``;`` or ``,`` that would end the name, and the model wrote ``Jar Jar jar = …`` instead: a line that does not
  parse, after which no scope check can judge the rest. :class:`RedeclarationStopper` ends a beam whose completed line
  declares a local twice in a form the blocker does not see (``for (int i …``). Both judge the output so far with
  :func:`redeclares_so_far` (its open braces closed, one tree-sitter parse), only where a line could be a
  declaration of a name seen before. No developer test can trip them (javac rejects such tests); the ranking below
  is the net for the rest.
* **Lines that break the syntax.** Once a line does not parse, no candidate made from that beam parses, and a
  weak model tends to loop on from there. :class:`SyntaxGuard` parses the method so far each time a beam completes
  a line that ends a statement or opens a block (its open blocks closed by :func:`_closing`: a ``}`` each,
  ``finally {}`` after a ``try``) and, when the first syntax error starts in that statement (the signature
  included), lowers the beam's score by ``SYNTAX_PENALTY`` nats: the beam falls behind the others but is kept when
  nothing better is left. Inside a line, :class:`DeclarationShapeBlocker` forbids the token that would break a
  declaration head for certain: a third name after ``Type name`` (``final Expression Expression Expression``,
  ``public void test plus()``) and ``=`` right after ``final Type``. Asked of the 10,800 parsing developer tests
  of the dev-eval packages as the decoder asks, neither would have altered one (``scripts/decoding_stats.py
  guards``).
* **A second, wider search.** When none of an input's candidates parses (every beam looped or broke the syntax),
  the input is searched again with ``RETRY_BEAMS`` beams and both searches' beams are ranked together: on the 10 of
  200 dev-eval pairs where the base model's five beams all failed, 7 then got a parsing top-1 (parses 95% → 98%,
  BLEU-4 unchanged, the other 190 top-1 outputs identical). Only those inputs pay for it (a 10-beam search on top).
* **Length.** :class:`LengthPrior` is a log-normal fitted to the token lengths of the project's own tests
  (stored with the adapter) or of the base corpus (``testtailor.json`` of the base model). It sets
  ``max_new_tokens`` (99th percentile x 1.15 + 4, capped by the position table), pushes the end-of-sequence
  score up past its 90th percentile (``transformers``' ``ExponentialDecayLengthPenalty``) so loops stop
  near plausible lengths instead of running to the limit, and adds a length term to the ranking score.
* **Unfinished outputs.** A decoder that stops early or is cut at the limit leaves braces open.
  :func:`repair_truncated` closes them, cutting back to a complete statement where needed, and keeps the
  result only if it then parses as one method (A3Test's repair, made safe by the parse).
* **Ranking.** :func:`rank` puts candidates that parse and do not loop first, then orders by beam score plus
  the length term.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

import torch
from transformers import LogitsProcessor

from customizer.defaults import DEFAULT_RETRIEVED_FIRST
from customizer.java.snippets import first_syntax_error, parses_as_method, redeclared_locals

MAX_REPEATS = 8  # a unit may repeat this many times back to back while decoding
MAX_PERIOD = 32  # ... for units of 1..MAX_PERIOD tokens (line-sized loops included)
DEGENERATE_REPEATS = 10  # a unit of 1..4 code tokens repeated this often marks a candidate degenerate (TeCo)
DEGENERATE_LINE_REPEATS = 6  # the same line this often in one test: degenerate (0.43% of developer tests)
MAX_LINE_REPEATS = 6  # the 6th copy of a line ends the beam (LineLoopStopper)
WINDOW_REPEATS = 10  # a unit of WINDOW_UNITS tokens may occur this often in the last WINDOW tokens (WindowLoopBlocker)
WINDOW_UNITS = (3, 16)
WINDOW = 64
LINE_LOOP_PENALTY = -5.0  # log-probability given to the forced end of a beam that repeats a line
SYNTAX_PENALTY = 20.0  # subtracted from a beam's log-probability on the line that brings a syntax error (SyntaxGuard)
REDECLARED_PENALTY = -1.0e4  # log-probability of the forced end of a beam that declares a local twice: the beam
# drops out (any other continuation outscores it) unless nothing else is left
RETRY_BEAMS = 10  # beams of the second search for an input none of whose first candidates parses
EOS_PUSH = 1.01  # past the prior's 90th percentile, the end-of-sequence score grows by this factor per token
LENGTH_MARGIN = 1.15  # max_new_tokens = 99th percentile of test lengths x margin + specials
LENGTH_WEIGHT = 0.1  # weight of the length term (log-normal, 0 at the median) in the ranking score
MIN_PRIOR_TESTS = 20  # fewer mined tests than this: fall back to the base model's prior
PRIOR_META_KEY = "length_prior"  # where the prior lives in testtailor.json and in an adapter's meta
_CODE_TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d+|\S")
_JAVA_LEXEME = re.compile(r'"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?|//[^\n]*|/\*.*?(?:\*/|$)|[{}();]', re.S)


# --- repetition control ---------------------------------------------------------------------------------------


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
    shape = _boundaries(done)
    if shape.parens != 0 or shape.braces < 1:
        return False
    line_start = done.rfind("\n") + 1
    region = max((end for end, _ in shape.ends if end <= line_start), default=0)
    error = first_syntax_error(done + _closing(shape.heads))
    return error is not None and region <= error < len(done)


_DECLARATION_HEAD = re.compile(r"^\s*(?:final\s+)?[A-Za-z_$][\w$.]*(?:<[^;=(){}]*>)?(?:\s*\[\s*\])*\s+"
                               r"([A-Za-z_$][\w$]*)\s*$")  # the start of a line: `final Type<T>[] name`
_HEAD_TOKENS = 24  # tokens decoded to find the current line; a longer declaration head is not checked


def _current_line(pieces: Sequence[str], ids: Sequence[int]) -> str | None:
    """The current (unfinished) line of a beam from the texts of its last ``_HEAD_TOKENS`` tokens — the cheap look
    of the declaration-head processors — or None when the line is longer than that."""
    tail = "".join(pieces[i] if i < len(pieces) else "" for i in ids[-_HEAD_TOKENS:])
    newline = tail.rfind("\n")
    if newline < 0 and len(ids) > _HEAD_TOKENS:
        return None
    return tail[newline + 1:]


class RedeclarationBlocker(LogitsProcessor):
    """When the current line ``Type name`` would declare a local already in scope, let the name only grow
    (``url`` → ``url2``: tokens that continue an identifier); a line already past the name (``Type name ``) ends the
    beam, at ``penalty``. With ``grow_only=False`` (the first version) only the tokens that would end the name
    (``=``, ``;``, ``,``) are forbidden, which leaves the model free to write ``Type Type name``.

    Cheap where it does nothing: the last few tokens are decoded to find the current line, and only a line that
    looks like a declaration head of a name already written is parsed (:func:`redeclares_so_far`). Apply it after
    every processor that rescales the end-of-sequence score."""

    def __init__(self, tokenizer: Any, grow_only: bool = True, penalty: float = REDECLARED_PENALTY) -> None:
        self.tokenizer = tokenizer
        self.grow_only = grow_only
        self.penalty = penalty
        self.eos = tokenizer.eos_token_id
        self.closing = declaration_end_mask(tokenizer)
        self.growing = identifier_continuation_mask(tokenizer)
        self.pieces = _plain_token_texts(tokenizer)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        rows = input_ids.tolist()
        for row, ids in enumerate(rows):
            line = _current_line(self.pieces, ids)
            if line is None or _DECLARATION_HEAD.match(line) is None:
                continue  # the cheap look at the last tokens: not a declaration head
            text = self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
            start = text.rfind("\n") + 1
            if not _would_redeclare(text[:start], text[start:]):
                continue
            if not self.grow_only:
                scores[row, self.closing.to(scores.device)] = -float("inf")
            elif text[-1:].isspace():  # `Type name `: no token makes this valid Java any more
                scores[row, :] = -float("inf")
                scores[row, self.eos] = self.penalty
            else:
                scores[row, ~self.growing.to(scores.device)] = -float("inf")
        return scores


_HARD_KEYWORDS = frozenset([
    "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const", "continue",
    "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for", "goto", "if",
    "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
    "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this",
    "throw", "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null"
])
_TYPE_KEYWORDS = frozenset(["boolean", "byte", "char", "double", "float", "int", "long", "short", "void"])
_ANNOTATIONS = r"^\s*(?:@[\w$.]+(?:\([^()\n]*\))?\s+)*"
_MODIFIERS = r"(?:(?:public|protected|private|static|final|abstract|synchronized|native|strictfp|default)\s+)*"
_TYPE = r"(?P<type>[A-Za-z_$][\w$.]*(?:<[^;=(){}\n]*>)?(?:\s*\[\s*\])*)"
_NAME_AFTER_TYPE = re.compile(_ANNOTATIONS + _MODIFIERS + _TYPE + r"\s+(?P<name>[A-Za-z_$][\w$]*)(?P<space>\s*)$")
_FINAL_TYPE = re.compile(_ANNOTATIONS + r"final\s+" + _TYPE + r"\s*$")


def _is_type(text: str) -> bool:
    """A type as a declaration head writes it: a primitive, ``void``, or a (qualified, generic, array) name none of
    whose parts is a keyword."""
    base = re.split(r"[<\[\s]", text, maxsplit=1)[0]
    return base in _TYPE_KEYWORDS or all(part and part not in _HARD_KEYWORDS for part in base.split("."))


def declaration_shape(before: str, line: str) -> str | None:
    """What may not come next on ``line`` (the current line after the method text ``before``) for it to stay a
    declaration, when that is certain: ``"name"`` after ``Type name `` (a third name, as in ``final Expression
    Expression Expression`` or ``void test plus()``, is never Java), ``"space-name"`` after ``Type name`` (the same,
    with the space in the next token), ``"end"`` after ``final Type`` (a final local needs its name before ``=``,
    ``;`` or ``,``, with or without a space); None where the line is not such a head, or lies in a comment, a text
    block or parentheses."""
    head = _NAME_AFTER_TYPE.match(line)
    if head is not None and (not _is_type(head.group("type")) or head.group("name") in _HARD_KEYWORDS):
        head = None  # e.g. `final Type ` read as type `final`
    final = _FINAL_TYPE.match(line) if head is None else None
    if final is not None and not _is_type(final.group("type")):
        final = None
    if head is None and final is None:
        return None
    text = before + line
    if text.rfind("/*") > text.rfind("*/") or text.count('"""') % 2 or _boundaries(text).parens != 0:
        return None
    if head is not None:
        return "name" if head.group("space") else "space-name"
    return "end"


class DeclarationShapeBlocker(LogitsProcessor):
    """Keep declaration heads in shape (:func:`declaration_shape`): after ``Type name`` no third name, after ``final
    Type`` no ``=``, ``;`` or ``,`` before the name. A weak model writes ``final Expression Expression Expression``
    or ``public void test plus()`` and then never writes a line that parses; forbidding the token that breaks the
    head costs nothing a developer writes (``scripts/decoding_stats.py guards``). The current line is found in the
    last few tokens, as :class:`RedeclarationBlocker` finds it."""

    def __init__(self, tokenizer: Any) -> None:
        self.pieces = _plain_token_texts(tokenizer)
        self.forbidden = {"name": _name_start_mask(tokenizer, r"\s*"),
                          "space-name": _name_start_mask(tokenizer, r"\s+"), "end": declaration_end_mask(tokenizer)}

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row, ids in enumerate(input_ids.tolist()):
            line = _current_line(self.pieces, ids)
            if line is None or (_NAME_AFTER_TYPE.match(line) is None and _FINAL_TYPE.match(line) is None):
                continue  # the cheap look: most lines are not declaration heads
            text = "".join(self.pieces[i] if i < len(self.pieces) else "" for i in ids)
            start = text.rfind("\n") + 1
            kind = declaration_shape(text[:start], text[start:])
            if kind is not None:
                scores[row, self.forbidden[kind].to(scores.device)] = -float("inf")
        return scores


def _name_start_mask(tokenizer: Any, space: str) -> torch.Tensor:
    """Boolean mask over the vocabulary: tokens that start a name after ``space`` (a regex: ``\\s*`` or ``\\s+``;
    cached per tokenizer; do not modify)."""
    return _per_tokenizer(tokenizer, f"name-start{space}", lambda: torch.tensor(
        [bool(re.match(space + r"[A-Za-z_$]", piece)) for piece in _plain_token_texts(tokenizer)], dtype=torch.bool))


def declaration_shape_alterations(texts: Iterable[str]) -> tuple[int, int]:
    """(tests :class:`DeclarationShapeBlocker` would have altered, tests seen): every name that starts after a line
    prefix judged ``"name"``, every space-and-name after ``"space-name"``, every ``=``, ``;`` or ``,`` after
    ``"end"``. Run on tests that parse, anything counted is a fault of the judgement."""
    altered = seen = 0
    for text in texts:
        seen += 1
        start = 0
        for line in text.split("\n"):
            if _shape_alters(text[:start], line):
                altered += 1
                break
            start += len(line) + 1
    return altered, seen


def _shape_alters(before: str, line: str) -> bool:
    """True when the blocker would have forbidden some token of ``line`` (after the method text ``before``)."""
    for m in re.finditer(r"(?<![\w$])[A-Za-z_$]", line):  # each name: not a third one after `Type name`
        head = line[:m.start()]
        if declaration_shape(before, head) == "name":
            return True
        if head != head.rstrip() and declaration_shape(before, head.rstrip()) == "space-name":
            return True
    # each `=`, `;` or `,`: not right after `final Type`
    return any(declaration_shape(before, line[:m.start()]) == "end" for m in re.finditer(r"[=;,]", line))


def _would_redeclare(before: str, line: str) -> bool:
    """True when ``line``, the current line after the method text ``before``, is a declaration head ``Type name``
    that the next ``=``, ``;`` or ``,`` would make declare a local already in scope. The one judgement of
    :class:`RedeclarationBlocker` and :func:`redeclaration_alterations`."""
    head = _DECLARATION_HEAD.match(line)
    if head is None or re.search(rf"(?<![\w$]){re.escape(head.group(1))}(?![\w$])", before) is None:
        return False  # a name not written before cannot be in scope
    return redeclares_so_far(before + line.rstrip() + " = null;\n")


def declaration_end_mask(tokenizer: Any) -> torch.Tensor:
    """Boolean mask over the vocabulary: tokens that, after ``Type name``, end the name and make the line a
    declaration (``=`` but not ``==``, ``;``, ``,``), after optional spaces (cached per tokenizer; do not modify)."""
    return _per_tokenizer(tokenizer, "declaration-end", lambda: torch.tensor(
        [p.lstrip(" \t")[:1] in ("=", ";", ",") and not p.lstrip(" \t").startswith("==")
         for p in token_texts(tokenizer)], dtype=torch.bool))


def redeclaration_alterations(texts: Iterable[str]) -> tuple[int, int]:
    """(tests :class:`RedeclarationBlocker` or :class:`RedeclarationStopper` would have altered, tests seen), judged
    on the text at every line end and at every declaration head, as the processors judge an output while decoding.
    A test javac accepts never declares a local twice, so anything counted here is a fault of the scope check."""
    altered = seen = 0
    for text in texts:
        seen += 1
        start = 0
        for end in [i for i, ch in enumerate(text) if ch == "\n"] + [len(text)]:
            line = text[start:end]
            cut = min((i for i in (line.find("="), line.find(";"), line.find(",")) if i >= 0), default=-1)
            if cut > 0 and _would_redeclare(text[:start], line[:cut]):
                altered += 1
                break
            if end < len(text) and redeclares_so_far(text[:end + 1]):
                altered += 1
                break
            start = end + 1
    return altered, seen


def syntax_alterations(texts: Iterable[str]) -> tuple[int, int]:
    """(tests :class:`SyntaxGuard` would have penalized, tests seen): :func:`breaks_syntax` asked at every line end,
    as the guard asks while decoding. Run on tests that parse, anything counted is a fault of the judgement."""
    texts = list(texts)
    altered = sum(any(breaks_syntax(text[:i + 1]) for i, ch in enumerate(text) if ch == "\n") for text in texts)
    return altered, len(texts)


def redeclares_so_far(text: str) -> bool:
    """True when the unfinished method ``text``, its open braces closed, parses and declares a local twice in one
    scope. An unfinished statement (open parenthesis, a line cut mid-expression) gives False: nothing to judge yet."""
    shape = _boundaries(text.rstrip())
    if shape.parens != 0 or shape.braces < 0:
        return False
    return bool(redeclared_locals(text.rstrip() + _closing(shape.heads)))


_VOCABULARY_VIEWS: dict[tuple[str, int, int, str], Any] = {}


def _per_tokenizer(tokenizer: Any, view: str, build: Callable[[], Any]) -> Any:
    """``build()``, made once per tokenizer and ``view``: the vocabulary-wide lists and masks the processors of
    every ``generate`` call share."""
    key = (str(getattr(tokenizer, "name_or_path", "")), len(tokenizer), id(tokenizer), view)
    if key not in _VOCABULARY_VIEWS:
        _VOCABULARY_VIEWS[key] = build()
    return _VOCABULARY_VIEWS[key]


def token_texts(tokenizer: Any) -> list[str]:
    """The text of every token of the vocabulary on its own (cached per tokenizer; do not modify)."""
    return _per_tokenizer(tokenizer, "texts", lambda: tokenizer.batch_decode(
        [[i] for i in range(len(tokenizer))], clean_up_tokenization_spaces=False))


def _plain_token_texts(tokenizer: Any) -> list[str]:
    """:func:`token_texts` with the special tokens' texts blanked, as ``skip_special_tokens`` decodes them."""
    def build() -> list[str]:
        special = set(tokenizer.all_special_ids)
        return ["" if i in special else piece for i, piece in enumerate(token_texts(tokenizer))]
    return _per_tokenizer(tokenizer, "plain-texts", build)


def identifier_continuation_mask(tokenizer: Any) -> torch.Tensor:
    """Boolean mask over the vocabulary: tokens that continue an identifier (letters, digits, ``_``, ``$`` and
    nothing else, no leading space; cached per tokenizer; do not modify)."""
    return _per_tokenizer(tokenizer, "identifier-continuation", lambda: torch.tensor(
        [bool(re.fullmatch(r"[\w$]+", piece, flags=re.ASCII)) for piece in _plain_token_texts(tokenizer)],
        dtype=torch.bool))


def newline_token_mask(tokenizer: Any) -> torch.Tensor:
    """Boolean mask over the vocabulary: tokens whose text holds a newline (cached per tokenizer; do not modify)."""
    return _per_tokenizer(tokenizer, "newline", lambda: torch.tensor(
        ["\n" in piece for piece in token_texts(tokenizer)], dtype=torch.bool))


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


# --- length prior ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LengthPrior:
    """Log-normal over the token length of a project's tests (content tokens, no special tokens)."""

    mu: float  # mean of log(length)
    sigma: float  # standard deviation of log(length)
    p50: int
    p90: int
    p99: int
    max: int
    n: int  # tests it was fitted on
    source: str = ""  # what it was fitted on, for messages and reports

    @classmethod
    def fit(cls, lengths: Iterable[int], source: str = "") -> LengthPrior:
        xs = sorted(max(1, int(x)) for x in lengths)
        if not xs:
            raise ValueError("cannot fit a length prior to no tests")
        logs = [math.log(x) for x in xs]
        mu = sum(logs) / len(logs)
        sigma = math.sqrt(sum((v - mu) ** 2 for v in logs) / len(logs))

        def q(p: float) -> int:
            return xs[min(len(xs) - 1, math.ceil(p * len(xs)) - 1)] if p > 0 else xs[0]

        return cls(mu=mu, sigma=max(sigma, 0.25), p50=q(0.5), p90=q(0.9), p99=q(0.99), max=xs[-1], n=len(xs),
                   source=source)

    def log_weight(self, length: int) -> float:
        """Log-normal log-density up to a constant, 0 at the median: the length term of the ranking."""
        z = (math.log(max(1, length)) - self.mu) / self.sigma
        return -0.5 * z * z

    def max_new_tokens(self, limit: int | None = None) -> int:
        """Tokens to allow the decoder: the 99th percentile x margin plus room for special tokens, capped."""
        wanted = math.ceil(self.p99 * LENGTH_MARGIN) + 4
        return wanted if limit is None else max(1, min(wanted, limit))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> LengthPrior | None:
        """The prior stored in metadata, or None when absent or malformed (an older adapter or model)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{k: data[k] for k in ("mu", "sigma", "p50", "p90", "p99", "max", "n")},
                       source=str(data.get("source", "")))
        except (KeyError, TypeError):
            return None


# Fitted by ``scripts/decoding_stats.py corpus`` on the 8,279 tests of the interim base model's training corpus
# (tokenizer-v0, tests over 384 tokens dropped); used only when a base model ships no prior of its own.
DEFAULT_PRIOR = LengthPrior(mu=4.461, sigma=0.692, p50=83, p90=230, p99=362, max=382, n=8279,
                            source="default (interim base corpus)")


def prior_for_model_dir(model_dir: str | Path | None) -> LengthPrior:
    """The base model's prior from its ``testtailor.json``, else :data:`DEFAULT_PRIOR`."""
    if model_dir is not None:
        try:
            meta = json.loads((Path(model_dir) / "testtailor.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        found = LengthPrior.from_dict(meta.get(PRIOR_META_KEY)) if isinstance(meta, dict) else None
        if found is not None:
            return found
    return DEFAULT_PRIOR


def prior_from_tests(tokenizer: Any, tests: Iterable[str], source: str = "") -> LengthPrior | None:
    """Fit a prior to test bodies (e.g. a project's mined tests); None when there are too few to trust."""
    bodies = list(tests)
    if len(bodies) < MIN_PRIOR_TESTS:
        return None
    lengths = [len(ids) for ids in tokenizer(bodies, add_special_tokens=False)["input_ids"]]
    return LengthPrior.fit(lengths, source=source or f"{len(bodies)} project tests")


# --- truncation repair ----------------------------------------------------------------------------------------


class _Shape(NamedTuple):
    """The block structure of an unfinished method, string/char literals and comments skipped."""

    braces: int  # brace depth at the end
    parens: int  # parenthesis depth at the end
    ends: list[tuple[int, int]]  # (end offset, brace depth) of each complete statement inside the method body
    heads: list[str]  # per open brace, the code before it back to the last statement boundary


def _boundaries(text: str) -> _Shape:
    braces = parens = start = 0
    ends: list[tuple[int, int]] = []
    heads: list[str] = []
    for m in _JAVA_LEXEME.finditer(text):
        lexeme = m.group()
        if lexeme == "{":
            braces += 1
            heads.append(text[start:m.start()])
        elif lexeme == "}":
            braces -= 1
            heads = heads[:-1]
        elif lexeme == "(":
            parens += 1
        elif lexeme == ")":
            parens -= 1
        if lexeme in ("{", "}") or (lexeme == ";" and parens == 0):  # not the `;` inside for (…) or try (…)
            start = m.end()
        if lexeme in (";", "}") and parens == 0 and braces >= 1:
            ends.append((m.end(), braces))
    return _Shape(braces, parens, ends, heads)


_COMMENT = re.compile(r"//[^\n]*|/\*.*?(?:\*/|$)", re.S)
_BLOCK_ENDINGS = ((re.compile(r"try\b"), " finally {}"), (re.compile(r"do$"), " while (true);"))


def _closing(heads: Sequence[str]) -> str:
    """What closes the open blocks (``_Shape.heads`` of an unfinished method) so that it parses where the method
    does: a ``}`` each, plus ``finally {}`` after a ``try`` block and ``while (true);`` after a ``do`` block (a
    ``}`` alone leaves a ``try`` without ``catch``, a syntax error the text does not have)."""
    closing = ""
    for head in reversed(heads):
        head = _COMMENT.sub(" ", head).strip()
        closing += "\n}" + next((end for word, end in _BLOCK_ENDINGS if word.match(head)), "")
    return closing


def repair_truncated(text: str, cut_off: bool) -> str | None:
    """``text`` with its open braces closed, or None when that does not give one parsing method.

    An output that ended by itself is first closed as it is; if that does not parse, or the output was cut at
    the length limit, it is cut back to one of its last three complete statements and closed there (a
    half-written statement cannot be closed into a test).
    """
    braces, parens, ends, _ = _boundaries(text)
    attempts: list[tuple[str, int]] = []
    if not cut_off and braces > 0 and parens == 0:
        attempts.append((text, braces))
    attempts += [(text[:end], depth) for end, depth in reversed(ends[-3:])]
    for body, depth in attempts:
        if depth < 1:
            continue
        indent = "    "
        closing = "".join("\n" + indent * (level - 1) + "}" for level in range(depth, 0, -1))
        repaired = body.rstrip() + closing
        if parses_as_method(repaired):
            return repaired
    return None


# --- ranking --------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class DecodingConfig:
    """How :meth:`customizer.generate.Generator.candidates` decodes; ``legacy()`` reproduces the first version."""

    beams: int = 5
    max_repeats: int = MAX_REPEATS
    max_period: int = MAX_PERIOD
    length_prior: bool = True  # max_new_tokens from the prior (unless the Generator was given one) + length term
    length_weight: float = LENGTH_WEIGHT
    repair: bool = True
    eos_push: float | None = EOS_PUSH  # None: no end-of-sequence push past the prior's 90th percentile
    degenerate_line_repeats: int | None = DEGENERATE_LINE_REPEATS  # None: only TeCo's token criterion
    max_line_repeats: int | None = MAX_LINE_REPEATS  # None: no LineLoopStopper
    window_repeats: int | None = WINDOW_REPEATS  # None: no WindowLoopBlocker
    redeclared_last: bool = True  # rank candidates that declare a local twice (cannot compile) after the others
    stop_redeclared: bool = True  # keep beams from declaring a local twice (RedeclarationBlocker, ...Stopper)
    redeclared_grow_only: bool = True  # the blocker lets a redeclared name only grow (False: session 7's version)
    syntax_penalty: float | None = SYNTAX_PENALTY  # SyntaxGuard's penalty on a line that breaks the syntax; None: off
    declaration_shape: bool = True  # DeclarationShapeBlocker: no third name after `Type name`, no `final Type =`
    retry_beams: int | None = RETRY_BEAMS  # no candidate parses: search again with this many beams; None: never

    @classmethod
    def legacy(cls) -> DecodingConfig:
        """The decoding before issue #13: units up to 4 tokens, 256 new tokens, no length term, no repair."""
        return cls(max_period=4, length_prior=False, length_weight=0.0, repair=False, degenerate_line_repeats=None,
                   eos_push=None, max_line_repeats=None, window_repeats=None, redeclared_last=False,
                   stop_redeclared=False, syntax_penalty=None, declaration_shape=False, retry_beams=None)


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
