"""Checks on code fragments that are not whole files (a generated test method)."""

from __future__ import annotations

from tree_sitter import Node

from customizer.java.parser import ParsedFile, parse_java

_WRAPPER = "class __TestTailorProbe__ {\n"


def parses_as_method(text: str) -> bool:
    """True when ``text`` is exactly one complete method (or constructor) without syntax errors."""
    return _parsed_method(text) is not None


def _probe(text: str) -> ParsedFile:
    """``text`` parsed as the one member of a probe class."""
    return parse_java(_WRAPPER + text + "\n}\n")


def _parsed_method(text: str) -> tuple[ParsedFile, Node] | None:
    """``text`` parsed inside a probe class, and its one method (or constructor) node; None when ``text`` is not
    exactly one complete method without syntax errors."""
    parsed = _probe(text)
    if parsed.has_error:
        return None
    classes = [n for n in parsed.root.named_children if n.type == "class_declaration"]
    body = classes[0].child_by_field_name("body") if len(classes) == 1 else None
    if body is None:
        return None
    members = [n for n in body.named_children if n.type not in ("line_comment", "block_comment")]
    if len(members) == 1 and members[0].type in ("method_declaration", "constructor_declaration"):
        return parsed, members[0]
    return None


def first_syntax_error(text: str) -> int | None:
    """Index into ``text`` (a method, parsed as :func:`parses_as_method` parses it) where its first syntax error
    starts: the first ERROR node, or the first token tree-sitter had to insert (MISSING, zero width, where it is
    missing); None when ``text`` parses without one."""
    parsed = _probe(text)
    if not parsed.has_error:
        return None
    node = parsed.root
    while not (node.is_error or node.is_missing):
        node = next((c for c in node.children if c.has_error or c.is_error or c.is_missing), None)
        if node is None:  # has_error without a node to show for it: place it at the start, to be safe
            return 0
    return max(parsed.byte_to_char(node.start_byte) - len(_WRAPPER), 0)


# Nodes that open a scope for the names declared in (or by) them. A class body (an anonymous or local class) starts
# over: its methods may reuse an enclosing method's local names; a lambda may not.
_SCOPES = frozenset({"block", "for_statement", "enhanced_for_statement", "catch_clause", "lambda_expression",
                     "try_with_resources_statement", "switch_block", "method_declaration",
                     "constructor_declaration"})
_DECLARING = frozenset({"local_variable_declaration", "formal_parameter", "catch_formal_parameter",
                        "enhanced_for_statement", "resource", "spread_parameter"})


def redeclared_locals(text: str) -> list[str]:
    """Names a method declares again while an earlier local (or parameter) of that name is in scope, in order.

    javac rejects each one ("variable x is already defined"), so a candidate with any cannot compile: a cheap,
    certain sign of a looping generation (``boolean isExempt;`` written five times). Only complete methods are
    checked (anything else: no names).
    """
    method = _parsed_method(text)
    if method is None:
        return []
    parsed, node = method
    found: list[str] = []
    _walk(parsed, node, [set()], found)
    return found


def _declared_names(parsed: ParsedFile, node: Node) -> list[str]:
    if node.type == "local_variable_declaration":
        return [parsed.node_text(name) for declarator in node.children_by_field_name("declarator")
                if (name := declarator.child_by_field_name("name")) is not None]
    if node.type == "lambda_expression":
        params = node.child_by_field_name("parameters")
        if params is None:
            return []
        if params.type == "identifier":
            return [parsed.node_text(params)]
        return [parsed.node_text(child) for child in params.named_children if child.type == "identifier"]
    name = node.child_by_field_name("name")
    return [parsed.node_text(name)] if name is not None and node.type in _DECLARING else []


def _walk(parsed: ParsedFile, node: Node, scopes: list[set[str]], found: list[str]) -> None:
    if node.type == "class_body":
        scopes = [set()]
    if node.type in _SCOPES:
        scopes = [*scopes, set()]
    if node.type == "lambda_expression" or node.type in _DECLARING:
        for name in _declared_names(parsed, node):
            if any(name in scope for scope in scopes):
                found.append(name)
            scopes[-1].add(name)
    for child in node.named_children:
        _walk(parsed, child, scopes, found)
