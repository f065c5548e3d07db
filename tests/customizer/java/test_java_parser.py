"""Parsing, decoding and byte <-> (line, column) conversion."""

from __future__ import annotations

from pathlib import Path

import pytest

from customizer.errors import NotJavaFileError, TestTailorError
from customizer.java import PositionOutOfRangeError, parse_java, read_java_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_parse_text_and_bytes_agree() -> None:
    code = "class A { void m() {} }\n"
    from_text = parse_java(code)
    from_bytes = parse_java(code.encode())
    assert from_text.source == from_bytes.source == code.encode()
    assert from_text.text == code
    assert not from_text.has_error
    assert from_text.tree.root_node.type == "program"


def test_invalid_utf8_is_replaced_and_remembered() -> None:
    parsed = parse_java(b"class A { String s = \"\xff\xfe\"; }")
    assert parsed.lossy
    assert "\ufffd" in parsed.text
    assert parsed.source == parsed.text.encode()
    assert not parse_java(b"class A {}").lossy


def test_bom_is_dropped() -> None:
    parsed = parse_java("\ufeffclass A {}".encode())
    assert parsed.had_bom
    assert parsed.text == "class A {}"
    assert parsed.byte_to_point(6) == (0, 6)


def test_line_index_with_crlf_tabs_and_non_ascii() -> None:
    code = "class Ü {\r\n\tint 日本 = 1;\r\n}\r\n"
    parsed = parse_java(code)
    assert parsed.line_count == 4
    assert parsed.line_text(0) == "class Ü {"
    assert parsed.line_text(1) == "\tint 日本 = 1;"
    offset = parsed.source.index("日本".encode())
    assert parsed.byte_to_point(offset) == (1, 5)
    assert parsed.point_to_byte(1, 5) == offset
    assert parsed.point_to_byte(1, 7) == offset + len("日本".encode())
    assert parsed.byte_to_char(offset) == code.index("日本")
    # Columns past the end of a line clamp to the line's end (before the \r\n).
    assert parsed.point_to_byte(0, 99) == len("class Ü {".encode())


def test_line_outside_file_raises_user_error() -> None:
    parsed = parse_java("class A {}\n")
    with pytest.raises(PositionOutOfRangeError, match="line 5 is outside"):
        parsed.point_to_byte(4, 0)
    assert issubclass(PositionOutOfRangeError, TestTailorError)


def test_read_java_file(tmp_path: Path) -> None:
    parsed = read_java_file(FIXTURES / "Constructs.java")
    assert parsed.path is not None and parsed.path.endswith("Constructs.java")
    assert not parsed.has_error
    with pytest.raises(NotJavaFileError, match=r"not a \.java file"):
        read_java_file(tmp_path / "Foo.kt")
    with pytest.raises(NotJavaFileError, match="does not exist"):
        read_java_file(tmp_path / "Missing.java")
    (tmp_path / "Dir.java").mkdir()
    with pytest.raises(NotJavaFileError, match="is a directory"):
        read_java_file(tmp_path / "Dir.java")
