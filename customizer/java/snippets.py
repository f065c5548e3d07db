"""Checks on code fragments that are not whole files (a generated test method)."""

from __future__ import annotations

from customizer.java.parser import parse_java

_WRAPPER = "class __TestTailorProbe__ {\n"


def parses_as_method(text: str) -> bool:
    """True when ``text`` is exactly one complete method (or constructor) without syntax errors."""
    parsed = parse_java(_WRAPPER + text + "\n}\n")
    if parsed.has_error:
        return False
    classes = [n for n in parsed.root.named_children if n.type == "class_declaration"]
    body = classes[0].child_by_field_name("body") if len(classes) == 1 else None
    if body is None:
        return False
    members = [n for n in body.named_children if n.type not in ("line_comment", "block_comment")]
    return len(members) == 1 and members[0].type in ("method_declaration", "constructor_declaration")
