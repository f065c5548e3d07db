"""Repair of an output the decoder left open: close its blocks, cutting back to a complete statement where needed,
kept only when the result parses as one method.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from customizer.java.snippets import parses_as_method

_JAVA_LEXEME = re.compile(r'"(?:\\.|[^"\\\n])*"?|\'(?:\\.|[^\'\\\n])*\'?|//[^\n]*|/\*.*?(?:\*/|$)|[{}();]', re.S)


class BlockShape(NamedTuple):
    """The block structure of an unfinished method, string/char literals and comments skipped."""

    braces: int  # brace depth at the end
    parens: int  # parenthesis depth at the end
    ends: list[tuple[int, int]]  # (end offset, brace depth) of each complete statement inside the method body
    heads: list[str]  # per open brace, the code before it back to the last statement boundary


def boundaries(text: str) -> BlockShape:
    """The block structure of ``text``, an unfinished method (see :class:`BlockShape`)."""
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
    return BlockShape(braces, parens, ends, heads)


_COMMENT = re.compile(r"//[^\n]*|/\*.*?(?:\*/|$)", re.S)
_BLOCK_ENDINGS = ((re.compile(r"try\b"), " finally {}"), (re.compile(r"do$"), " while (true);"))


def closing(heads: Sequence[str]) -> str:
    """What closes the open blocks (``BlockShape.heads`` of an unfinished method) so that it parses where the method
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
    braces, parens, ends, _ = boundaries(text)
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
