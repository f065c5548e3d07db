"""UTF-16 (LSP) <-> code point column conversion, with astral characters."""

from __future__ import annotations

from customizer.java import (
    byte_to_point,
    codepoint_to_utf16,
    method_at,
    parse_java,
    point_to_utf16,
    utf16_to_codepoint,
    utf16_to_point,
)

LINE = 'String s = "😀x"; int ü = 1;'  # the emoji is one code point, two UTF-16 units


def test_bmp_only_line_is_identity() -> None:
    assert utf16_to_codepoint("int ü = 1;", 5) == 5
    assert codepoint_to_utf16("int ü = 1;", 5) == 5


def test_astral_character_counts_two_units() -> None:
    emoji = LINE.index("😀")
    assert codepoint_to_utf16(LINE, emoji) == emoji
    assert codepoint_to_utf16(LINE, emoji + 1) == emoji + 2
    assert utf16_to_codepoint(LINE, emoji + 2) == emoji + 1
    u = LINE.index("ü")
    assert codepoint_to_utf16(LINE, u) == u + 1
    assert utf16_to_codepoint(LINE, u + 1) == u


def test_inside_surrogate_pair_maps_to_character_start_and_clamps() -> None:
    emoji = LINE.index("😀")
    assert utf16_to_codepoint(LINE, emoji + 1) == emoji
    assert utf16_to_codepoint(LINE, -3) == 0
    assert utf16_to_codepoint(LINE, 999) == len(LINE)
    assert codepoint_to_utf16(LINE, 999) == len(LINE) + 1


def test_round_trip_every_column() -> None:
    for col in range(len(LINE) + 1):
        assert utf16_to_codepoint(LINE, codepoint_to_utf16(LINE, col)) == col


def test_lsp_position_finds_method_after_emoji() -> None:
    code = 'class A {\n  String e = "🎉🎉"; int f() { return 1; }\n}\n'
    parsed = parse_java(code)
    line_text = parsed.line_text(1)
    utf16_col = codepoint_to_utf16(line_text, line_text.index("return"))
    line, col = utf16_to_point(parsed, 1, utf16_col)
    assert col == line_text.index("return")
    method = method_at(parsed, line, col)
    assert method is not None and method.name == "f"
    assert point_to_utf16(parsed, method.name_line, method.name_col) == (1, line_text.index("f()") + 2)
    assert byte_to_point(parsed, parsed.source.index(b"return")) == (1, col)
