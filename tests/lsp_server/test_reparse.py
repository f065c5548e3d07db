"""Incremental re-parsing gives the same tree and method positions as parsing the new text from scratch."""

from __future__ import annotations

import pytest

from customizer.java import ParsedFile, list_methods, parse_java
from lsp_server.reparse import reparse

BASE = """package org.example;

public class Calc {
    private int total;

    public int add(int a, int b) {
        return a + b;
    }

    public String greet(String name) {
        return "héllo " + name; // non-ASCII: byte and character columns differ
    }
}
"""

EDITS = {
    "one character": ("a + b", "a - b"),
    "a new method (multi-line insert)": ("    public String greet",
                                         "    public int sub(int a, int b) {\n        return a - b;\n    }\n\n"
                                         "    public String greet"),
    "a method removed (multi-line delete)": ("    public int add(int a, int b) {\n        return a + b;\n    }\n\n",
                                             ""),
    "non-ASCII before a method": ("private int total;", "private int tötäl = 1; // ünïcode"),
    "broken then": ("return a + b;", "return a +"),
    "everything": (BASE, "class Other { void x() {} }\n"),
    "nothing": ("", ""),
    "a newline joined away": ("{\n        return a + b;", "{ return a + b;"),
    "newlines around non-ASCII": ('"héllo "', '"h\nél\nlo "'),
}


def shape(parsed: ParsedFile) -> tuple[object, ...]:
    methods = [(m.name, m.start_line, m.name_line, m.name_col, m.has_error) for m in list_methods(parsed)]
    lines = [parsed.line_text(i) for i in range(parsed.line_count)]
    points = [parsed.byte_to_point(offset) for offset in range(len(parsed.source) + 1)]
    chars = [parsed.byte_to_char(offset) for offset in range(len(parsed.source) + 1)
             if offset == len(parsed.source) or (parsed.source[offset] & 0xC0) != 0x80]
    return str(parsed.tree.root_node), methods, lines, points, chars


@pytest.mark.parametrize("case", EDITS)
def test_reparse_matches_a_fresh_parse(case: str) -> None:
    old, new = EDITS[case]
    text = BASE.replace(old, new, 1)
    before = parse_java(BASE, "Calc.java")
    old_tree = str(before.tree.root_node)
    again = reparse(before, text, "Calc.java")
    assert again.text == text
    assert shape(again) == shape(parse_java(text, "Calc.java"))
    assert str(before.tree.root_node) == old_tree  # the cached parse is not changed in place
    # and a second edit on top of the first
    back = reparse(again, BASE, "Calc.java")
    assert shape(back) == shape(parse_java(BASE, "Calc.java"))


def test_reparse_positions_after_a_line_insert() -> None:
    text = BASE.replace("public class Calc {\n", "public class Calc {\n    // a\n    // b\n", 1)
    methods = {m.name: m.name_line for m in list_methods(reparse(parse_java(BASE), text))}
    assert methods == {"add": 7, "greet": 11}
