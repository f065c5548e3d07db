"""Checks inside a declaration head: :class:`RedeclarationBlocker` lets a name that would declare a local twice only
grow, :class:`DeclarationShapeBlocker` forbids the token that would break the head's shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from transformers import LogitsProcessor

from customizer.decoding.lines import REDECLARED_PENALTY, redeclares_so_far
from customizer.decoding.repair import boundaries
from customizer.decoding.tokens import identifier_continuation_mask, per_tokenizer, plain_token_texts, token_texts

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
        self.pieces = plain_token_texts(tokenizer)

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
    if text.rfind("/*") > text.rfind("*/") or text.count('"""') % 2 or boundaries(text).parens != 0:
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
        self.pieces = plain_token_texts(tokenizer)
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
    return per_tokenizer(tokenizer, f"name-start{space}", lambda: torch.tensor(
        [bool(re.match(space + r"[A-Za-z_$]", piece)) for piece in plain_token_texts(tokenizer)], dtype=torch.bool))


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
    return per_tokenizer(tokenizer, "declaration-end", lambda: torch.tensor(
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
