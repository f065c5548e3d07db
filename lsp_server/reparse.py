"""Incremental re-parsing of an edited document with tree-sitter (the old tree is edited, then re-used).

Listing code actions happens on every cursor move and right after each keystroke. A full parse of a 5k-line
file takes 15–50 ms on a slow, busy CPU; telling tree-sitter which bytes changed lets it re-use the unchanged
subtrees (about 1 ms). Clients send either incremental or whole-document changes and pygls hands us the new
text, so the changed span is recovered by comparing the old and new UTF-8 bytes (common prefix and suffix).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TypeVar

from tree_sitter import Parser

from customizer.java import ParsedFile
from customizer.java.parser import decode_source, java_language

Seq = TypeVar("Seq", str, bytes)


def _common_prefix(a: Seq, b: Seq) -> int:
    """Length of the longest common prefix (binary search over memcmp'd slices: no per-byte Python loop)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: Seq, b: Seq, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit`` bytes."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _changed_span(before: Seq, after: Seq) -> tuple[int, int, int]:
    """(start, old end, new end) of the span that differs between ``before`` and ``after``."""
    start = _common_prefix(before, after)
    tail = _common_suffix(before, after, min(len(before), len(after)) - start)
    return start, len(before) - tail, len(after) - tail


def _line_starts(old_starts: list[int], before: Seq, after: Seq, newline: Seq) -> list[int]:
    """``after``'s line start offsets from ``before``'s: kept before the change, shifted after it, searched for
    only inside it (``ParsedFile`` would otherwise scan all of a 5k-line file in Python on every keystroke)."""
    start, old_end, new_end = _changed_span(before, after)
    starts = old_starts[:bisect_right(old_starts, start)]  # their newline lies before the change
    index = after.find(newline, start, new_end)  # type: ignore[arg-type]
    while index != -1:
        starts.append(index + 1)
        index = after.find(newline, index + 1, new_end)  # type: ignore[arg-type]
    shift = new_end - old_end
    starts.extend(s + shift for s in old_starts[bisect_left(old_starts, old_end + 1):])  # newline after the change
    return starts


def _point(data: bytes, offset: int) -> tuple[int, int]:
    """tree-sitter's (row, byte column) of a byte offset."""
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def reparse(old: ParsedFile, source: str, path: str | None = None) -> ParsedFile:
    """``source`` parsed by re-using ``old``'s tree (``old`` itself is left unchanged)."""
    text, lossy, had_bom = decode_source(source)
    data = text.encode("utf-8", errors="surrogatepass")
    before = old.source
    start, old_end, new_end = _changed_span(before, data)
    tree = old.tree.copy()
    tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=new_end, start_point=_point(before, start),
              old_end_point=_point(before, old_end), new_end_point=_point(data, new_end))
    new_tree = Parser(java_language()).parse(data, tree)
    return ParsedFile(source=data, text=text, tree=new_tree, path=path, lossy=lossy, had_bom=had_bom,
                      _line_bytes=_line_starts(old._line_bytes, before, data, b"\n"),
                      _line_chars=_line_starts(old._line_chars, old.text, text, "\n"))
