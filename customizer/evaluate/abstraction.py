"""A tree-sitter re-implementation of src2abs (Tufano et al.): code with its names and literals abstracted.

Every identifier, method name, type name and literal is replaced by a numbered placeholder in order of first
appearance, per kind: ``VAR_1``, ``METHOD_1``, ``TYPE_1``, ``STRING_1``, ``CHAR_1``, ``INT_1``, ``FLOAT_1``.
Java keywords, operators and punctuation are kept, and so are the *idioms* below: names and literals so common
in tests that abstracting them would hide real differences (the assertion API, ``@Test``, common JDK types,
small numbers, the empty string). Two tests match after abstraction when their abstracted token sequences are
equal: the same structure, up to a consistent renaming.
"""

from __future__ import annotations

from tree_sitter import Node

from customizer.java.parser import parse_java

IDIOMS: frozenset[str] = frozenset({
    # test framework and assertions
    "Test", "Before", "After", "BeforeEach", "AfterEach", "BeforeClass", "AfterClass", "BeforeAll", "AfterAll",
    "ParameterizedTest", "DisplayName", "Override", "Assert", "Assertions",
    "assertEquals", "assertNotEquals", "assertTrue", "assertFalse", "assertNull", "assertNotNull", "assertSame",
    "assertNotSame", "assertArrayEquals", "assertThrows", "assertThat", "fail", "is", "equalTo", "isEqualTo",
    "isTrue", "isFalse", "isNull", "isNotNull", "expected",
    # JDK types and members
    "String", "Object", "Integer", "Long", "Double", "Boolean", "List", "Map", "Set", "ArrayList", "HashMap",
    "HashSet", "Arrays", "Collections", "Exception", "RuntimeException", "IllegalArgumentException",
    "IllegalStateException", "NullPointerException", "IOException", "System", "Math",
    "size", "get", "put", "add", "equals", "hashCode", "toString", "length", "isEmpty", "contains", "asList",
    "valueOf", "out", "println",
    # literals
    "0", "1", "2", "-1", "0L", "1L", "0.0", "1.0", '""', "null", "true", "false",
})

_LITERALS = {
    "string_literal": "STRING", "character_literal": "CHAR", "decimal_integer_literal": "INT",
    "hex_integer_literal": "INT", "octal_integer_literal": "INT", "binary_integer_literal": "INT",
    "decimal_floating_point_literal": "FLOAT", "hex_floating_point_literal": "FLOAT",
}
_TYPE_PARENTS = {"type_identifier", "generic_type", "scoped_type_identifier"}


def _kind(node: Node) -> str:
    """Placeholder kind for an identifier node from where it stands in the tree."""
    parent = node.parent
    if node.type == "type_identifier":
        return "TYPE"
    if parent is not None:
        if parent.type in ("method_invocation", "method_declaration", "method_reference") and \
                parent.child_by_field_name("name") == node:
            return "METHOD"
        if parent.type == "marker_annotation" or parent.type == "annotation":
            return "TYPE"
        if parent.type in _TYPE_PARENTS or parent.type == "object_creation_expression":
            return "TYPE"
    text = node.text.decode("utf-8", "replace") if node.text else ""
    if text[:1].isupper() and not text.isupper() and parent is not None and parent.type in (
            "method_invocation", "field_access") and parent.child_by_field_name("object") == node:
        return "TYPE"  # Foo.bar(): a static call on a class
    return "VAR"


def _leaves(node: Node):
    if node.type in _LITERALS or node.child_count == 0:
        yield node
        return
    for child in node.children:
        yield from _leaves(child)


def abstract_tokens(code: str) -> list[str]:
    """The abstracted token sequence of a method (or any member-level code)."""
    wrapped = "class __P__ {\n" + code + "\n}\n"
    parsed = parse_java(wrapped)
    body = parsed.root.named_children[0].child_by_field_name("body") if parsed.root.named_children else None
    if body is None:
        return []
    tables: dict[str, dict[str, str]] = {}
    out: list[str] = []
    for member in body.children:
        if member.type in ("{", "}") or member.type.endswith("comment"):
            continue
        for leaf in _leaves(member):
            if leaf.type.endswith("comment"):
                continue
            text = leaf.text.decode("utf-8", "replace") if leaf.text else ""
            if text in IDIOMS:
                out.append(text)
            elif leaf.type in _LITERALS:
                kind = _LITERALS[leaf.type]
                table = tables.setdefault(kind, {})
                out.append(table.setdefault(text, f"{kind}_{len(table) + 1}"))
            elif leaf.type in ("identifier", "type_identifier"):
                kind = _kind(leaf)
                table = tables.setdefault(kind, {})
                out.append(table.setdefault(text, f"{kind}_{len(table) + 1}"))
            else:
                out.append(text)
    return out


def abstract(code: str) -> str:
    """The abstracted code as one space-separated string."""
    return " ".join(abstract_tokens(code))


def abstracted_match(hypothesis: str, reference: str) -> bool:
    """Same code up to a consistent renaming of identifiers and literals (idioms must match exactly)."""
    a, b = abstract_tokens(hypothesis), abstract_tokens(reference)
    return bool(a) and a == b
