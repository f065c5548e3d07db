"""Convert between LSP positions (UTF-16 code units) and ``customizer.java`` positions (code points).

``customizer.java`` counts columns in Python ``str`` characters (code points); the Language Server
Protocol counts UTF-16 code units by default, where a character outside the Basic Multilingual Plane
(emoji, some CJK) takes two units.
"""

from __future__ import annotations

from customizer.java.parser import ParsedFile

__all__ = [
    "byte_to_point",
    "codepoint_to_utf16",
    "point_to_utf16",
    "utf16_to_codepoint",
    "utf16_to_point",
]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_to_codepoint(line_text: str, utf16_col: int) -> int:
    """Code point column of a UTF-16 column in ``line_text``.

    Clamps to ``[0, len(line_text)]``; a column that falls inside a surrogate pair maps to the start of
    that character.
    """
    if utf16_col <= 0:
        return 0
    if _utf16_len(line_text) == len(line_text):  # no astral characters: units == code points
        return min(utf16_col, len(line_text))
    units = 0
    for index, char in enumerate(line_text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > utf16_col:
            return index
        if units == utf16_col:
            return index + 1
    return len(line_text)


def codepoint_to_utf16(line_text: str, col: int) -> int:
    """UTF-16 column of a code point column in ``line_text`` (clamped to the line)."""
    col = min(max(col, 0), len(line_text))
    return _utf16_len(line_text[:col])


def byte_to_point(parsed: ParsedFile, byte_offset: int) -> tuple[int, int]:
    """(line, code point column) of a byte offset into ``parsed.source``."""
    return parsed.byte_to_point(byte_offset)


def utf16_to_point(parsed: ParsedFile, line: int, utf16_col: int) -> tuple[int, int]:
    """An LSP ``Position`` (line, UTF-16 character) as (line, code point column)."""
    return line, utf16_to_codepoint(parsed.line_text(line), utf16_col)


def point_to_utf16(parsed: ParsedFile, line: int, col: int) -> tuple[int, int]:
    """(line, code point column) as an LSP ``Position`` (line, UTF-16 character)."""
    return line, codepoint_to_utf16(parsed.line_text(line), col)
