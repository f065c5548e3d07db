"""Turn syntax-tree nodes into normalized source text (annotations/comments removed, single spaces)."""

from __future__ import annotations

import re

from tree_sitter import Node

from customizer.java.parser import ParsedFile

ANNOTATION_TYPES = frozenset({"marker_annotation", "annotation"})
COMMENT_TYPES = frozenset({"line_comment", "block_comment"})
_DROP_DEFAULT = ANNOTATION_TYPES | COMMENT_TYPES

_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")
_SPACE_BEFORE_CLOSE = re.compile(r"\s+([)\],;])")


def normalize_whitespace(code: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends.

    Whitespace inside string, char and text-block literals is kept as written, so literals keep
    their meaning, and the whitespace after a ``//`` comment becomes one newline, so the comment
    does not swallow the code after it. Linear in the length of ``code``.
    """
    out: list[str] = []
    i, n = 0, len(code)
    pending_space = False
    after_line_comment = False
    while i < n:
        ch = code[i]
        if ch.isspace():
            pending_space = True
            i += 1
            continue
        if (pending_space or after_line_comment) and out:
            out.append("\n" if after_line_comment else " ")
        pending_space = after_line_comment = False
        if ch == '"' or ch == "'":
            end = _literal_end(code, i)
            out.append(code[i:end])
            i = end
        elif ch == "/" and code.startswith("//", i):
            # A line comment must stay terminated, or it would swallow the code after it.
            end = code.find("\n", i)
            end = n if end == -1 else end
            out.append(code[i:end].rstrip())
            after_line_comment = True
            i = end
        elif ch == "/" and code.startswith("/*", i):
            end = code.find("*/", i + 2)
            end = n if end == -1 else end + 2
            out.append(" ".join(code[i:end].split()))
            i = end
        else:
            j = i + 1
            while j < n and not code[j].isspace() and code[j] not in "\"'/":
                j += 1
            out.append(code[i:j])
            i = j
    return "".join(out)


def _literal_end(code: str, start: int) -> int:
    """Index just past the string/char/text-block literal that starts at ``start``."""
    quote = code[start]
    if quote == '"' and code.startswith('"""', start):
        end = start + 3
        while True:
            end = code.find('"""', end)
            if end == -1:
                return len(code)
            if code[end - 1] != "\\":
                return end + 3
            end += 1
    i = start + 1
    n = len(code)
    while i < n:
        ch = code[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote or ch == "\n":
            return i + 1
        i += 1
    return n


def text_without(parsed: ParsedFile, node: Node, drop_types: frozenset[str] = _DROP_DEFAULT) -> str:
    """Source text of ``node`` with its ``drop_types`` descendants (by default annotations and
    comments) cut out, whitespace collapsed to single spaces and stray spaces inside brackets removed."""
    raw = parsed.node_text(node)
    if _is_clean(raw):
        return raw
    if "@" not in raw and "/" not in raw:
        return tidy(normalize_whitespace(raw))
    pieces: list[str] = []
    cursor = node.start_byte
    stack = [node]
    cuts: list[tuple[int, int]] = []
    while stack:
        current = stack.pop()
        if current is not node and current.type in drop_types:
            cuts.append((current.start_byte, current.end_byte))
            continue
        stack.extend(reversed(current.children))
    for start, end in sorted(cuts):
        if start > cursor:
            pieces.append(parsed.slice(cursor, start))
        cursor = max(cursor, end)
        pieces.append(" ")
    pieces.append(parsed.slice(cursor, node.end_byte))
    return tidy(normalize_whitespace("".join(pieces)))


_UNCLEAN = ("@", "/", "\n", "\t", "\r", "  ", "( ", "[ ", " )", " ]", " ,", " ;", "\f", "\v")


def _is_clean(raw: str) -> bool:
    """True when ``raw`` needs no normalization (the common case for names and simple types)."""
    return not raw.startswith(" ") and not raw.endswith(" ") and not any(u in raw for u in _UNCLEAN)


def tidy(code: str) -> str:
    """Remove spaces right after ``(``/``[`` and right before ``)``/``]``/``,``/``;``."""
    return _SPACE_BEFORE_CLOSE.sub(r"\1", _SPACE_AFTER_OPEN.sub(r"\1", code)).strip()


def simple_name(qualified: str) -> str:
    """``org.junit.Test`` -> ``Test``."""
    return qualified.rsplit(".", 1)[-1].strip()
