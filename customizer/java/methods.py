"""Find Java methods and constructors, describe them (:class:`MethodInfo`) and list the calls they make."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import PurePath

from tree_sitter import Node, Query, QueryCursor

from customizer.java.imports import package_name
from customizer.java.parser import ParsedFile, java_language
from customizer.java.source_text import ANNOTATION_TYPES, COMMENT_TYPES, simple_name, text_without, tidy

METHOD_TYPES = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "compact_constructor_declaration",
        "annotation_type_element_declaration",
    }
)
CONSTRUCTOR_TYPES = frozenset({"constructor_declaration", "compact_constructor_declaration"})
NAMED_TYPE_TYPES = frozenset(
    {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    }
)
ANONYMOUS_SUFFIX = "$anon"
_ANONYMOUS_HOLDERS = frozenset({"object_creation_expression", "enum_constant"})
_BODY_TYPES = frozenset({"block", "constructor_body"})
_NOT_IN_SIGNATURE = _BODY_TYPES | COMMENT_TYPES | {";", "default"}


@dataclass(frozen=True)
class MethodInfo:
    """One method, constructor, compact record constructor or annotation element.

    Lines are 0-based; columns are 0-based code points. ``signature`` is the header without
    annotations, comments or body, whitespace collapsed to single spaces (for a compact record
    constructor it is the header as written, e.g. ``public Point``, while ``parameter_types`` /
    ``parameter_names`` are the record's components). ``text`` is the whole declaration from its first
    annotation/modifier to its closing brace (javadoc excluded). ``class_name`` is the innermost
    enclosing type; an anonymous class (or enum-constant body) is named after the type that
    encloses it plus ``$anon`` (``Outer$anon``, nested: ``Outer$anon$anon``). ``has_error`` says
    that tree-sitter found ERROR or MISSING nodes inside this declaration.
    """

    name: str
    signature: str
    text: str
    start_byte: int
    end_byte: int
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    name_line: int
    name_col: int
    class_name: str
    class_path: tuple[str, ...]
    package: str
    is_constructor: bool
    parameter_types: tuple[str, ...]
    parameter_names: tuple[str, ...]
    return_type: str | None
    annotations: tuple[str, ...]
    modifiers: tuple[str, ...]
    has_body: bool
    has_error: bool

    @property
    def qualified_class(self) -> str:
        """``pkg.Outer.Inner`` (anonymous parts keep their ``$anon`` suffix)."""
        names = ".".join(self.class_path)
        return f"{self.package}.{names}" if self.package else names


@cache
def _method_query() -> Query:
    patterns = " ".join(f"({t})" for t in sorted(METHOD_TYPES))
    return Query(java_language(), f"[{patterns}] @method")


@cache
def _call_query() -> Query:
    return Query(java_language(), "[(method_invocation) (object_creation_expression)] @call")


def _captures(query: Query, node: Node, name: str) -> list[Node]:
    nodes = QueryCursor(query).captures(node).get(name, [])
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def list_methods(parsed: ParsedFile) -> list[MethodInfo]:
    """All methods and constructors in the file, in source order (nested and anonymous classes too)."""
    memo = parsed.memo
    if "methods" not in memo:
        nodes = _captures(_method_query(), parsed.root, "method")
        memo["methods"] = [method_info(parsed, node) for node in nodes]
    return list(memo["methods"])  # type: ignore[call-overload]


def method_at(parsed: ParsedFile, line: int, column: int) -> MethodInfo | None:
    """The innermost method whose declaration (annotations through closing brace) contains the position, or
    whose own doc comment does (the comments on their own lines right above it: a developer often asks from the
    Javadoc that describes the method).

    A position just past the closing brace still counts. Lines past the end raise
    ``PositionOutOfRangeError``; columns past the end of a line clamp to its end.
    """
    offset = parsed.point_to_byte(line, column)
    node = _enclosing_method_node(parsed, offset)
    if node is None and offset > 0:
        node = _enclosing_method_node(parsed, offset - 1)
        if node is not None and node.end_byte != offset:
            node = None
    if node is None:
        node = _documented_method_node(parsed, offset)
    return None if node is None else method_info(parsed, node)


def method_on_line(parsed: ParsedFile, line: int) -> MethodInfo | None:
    """The method a line means when no column is given: the one at the line's first non-blank character, else
    the first method declared on the line (``class A { int f() { … } }`` written on one line)."""
    text = parsed.line_text(line)
    found = method_at(parsed, line, len(text) - len(text.lstrip()))
    if found is not None:
        return found
    return next((m for m in list_methods(parsed) if m.name_line == line), None)


def _documented_method_node(parsed: ParsedFile, offset: int) -> Node | None:
    """The method whose doc comment holds ``offset``: a comment that starts its line, followed (comments and
    line breaks between, no blank line) by a method declaration."""
    node: Node | None = parsed.root.descendant_for_byte_range(offset, offset)
    if node is None or node.type not in COMMENT_TYPES:
        return None
    line_start = parsed.point_to_byte(node.start_point.row, 0)
    if parsed.source[line_start:node.start_byte].strip():  # a trailing comment belongs to the code before it
        return None
    while node is not None and node.type in COMMENT_TYPES:
        following = node.next_named_sibling
        if following is None or following.start_point.row - node.end_point.row > 1:
            return None
        node = following
    return node if node is not None and node.type in METHOD_TYPES else None


def _enclosing_method_node(parsed: ParsedFile, offset: int) -> Node | None:
    node: Node | None = parsed.root.descendant_for_byte_range(offset, offset)
    while node is not None:
        if node.type in METHOD_TYPES and node.start_byte <= offset <= node.end_byte:
            return node
        node = node.parent
    return None


def method_node(parsed: ParsedFile, method: MethodInfo) -> Node:
    """The tree node of ``method`` (which must come from ``parsed``)."""
    node: Node | None = parsed.root.descendant_for_byte_range(method.start_byte, method.end_byte)
    while node is not None:
        if node.type in METHOD_TYPES and node.start_byte == method.start_byte:
            return node
        node = node.parent
    raise ValueError(f"method {method.name} is not part of {parsed.path or 'this file'}")


def called_methods(parsed: ParsedFile, method: MethodInfo) -> list[tuple[str, int, str | None]]:
    """Calls in the method's body, in source order: ``(name, argument count, receiver text or None)``.

    ``new Foo<>(a, b)`` becomes ``("<init>:Foo", 2, None)``; a qualified ``new a.b.Foo()`` keeps
    the qualifier (``<init>:a.b.Foo``). Calls inside lambdas and anonymous classes of the body count.
    """
    node = method_node(parsed, method)
    body = node.child_by_field_name("body")
    if body is None:
        return []
    calls: list[tuple[str, int, str | None]] = []
    for call in _captures(_call_query(), body, "call"):
        arguments = call.child_by_field_name("arguments")
        count = 0 if arguments is None else _argument_count(arguments)
        if call.type == "method_invocation":
            name_node = call.child_by_field_name("name")
            if name_node is None:
                continue
            receiver = call.child_by_field_name("object")
            receiver_text = None if receiver is None else text_without(parsed, receiver, COMMENT_TYPES)
            calls.append((parsed.node_text(name_node), count, receiver_text))
        else:
            type_node = call.child_by_field_name("type")
            if type_node is None:
                continue
            calls.append((f"<init>:{_raw_type_name(parsed, type_node)}", count, None))
    return calls


def _argument_count(arguments: Node) -> int:
    return sum(1 for child in arguments.named_children if child.type not in COMMENT_TYPES)


def _raw_type_name(parsed: ParsedFile, type_node: Node) -> str:
    if type_node.type == "generic_type" and type_node.named_children:
        type_node = type_node.named_children[0]
    text = text_without(parsed, type_node)
    return "".join(text.split("<", 1)[0].split())


# --------------------------------------------------------------------------- MethodInfo building


def method_info(parsed: ParsedFile, node: Node) -> MethodInfo:
    """Describe the declaration ``node`` (one of ``METHOD_TYPES``)."""
    name_node = node.child_by_field_name("name")
    name = parsed.node_text(name_node) if name_node is not None else ""
    name_line, name_col = parsed.node_point(name_node if name_node is not None else node)
    start_line, start_col = parsed.node_point(node)
    end_line, end_col = parsed.node_point(node, end=True)
    modifiers_node = next((c for c in node.children if c.type == "modifiers"), None)
    annotations, modifiers = _modifiers(parsed, modifiers_node)
    class_path = enclosing_class_path(parsed, node)
    if not class_path and parsed.path:
        # The class header is too broken to parse; a Java file is named after its top-level class.
        class_path = (PurePath(parsed.path).stem,)
    param_types, param_names = _parameters(parsed, node)
    is_constructor = node.type in CONSTRUCTOR_TYPES
    return MethodInfo(
        name=name,
        signature=_signature(parsed, node),
        text=parsed.node_text(node),
        start_byte=node.start_byte,
        end_byte=node.end_byte,
        start_line=start_line,
        start_col=start_col,
        end_line=end_line,
        end_col=end_col,
        name_line=name_line,
        name_col=name_col,
        class_name=class_path[-1] if class_path else "",
        class_path=class_path,
        package=package_name(parsed),
        is_constructor=is_constructor,
        parameter_types=param_types,
        parameter_names=param_names,
        return_type=None if is_constructor else _return_type(parsed, node),
        annotations=annotations,
        modifiers=modifiers,
        has_body=node.child_by_field_name("body") is not None,
        has_error=node.has_error,
    )


def annotation_names(parsed: ParsedFile, modifiers_node: Node | None) -> list[str]:
    """Annotation names as written (possibly qualified, e.g. ``org.junit.Test``), without ``@``."""
    if modifiers_node is None:
        return []
    names = []
    for child in modifiers_node.children:
        if child.type in ANNOTATION_TYPES:
            name_node = child.child_by_field_name("name")
            if name_node is not None:
                names.append("".join(parsed.node_text(name_node).split()))
    return names


def _modifiers(parsed: ParsedFile, modifiers_node: Node | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if modifiers_node is None:
        return (), ()
    annotations = tuple(simple_name(n) for n in annotation_names(parsed, modifiers_node))
    keywords = tuple(
        parsed.node_text(child)
        for child in modifiers_node.children
        if child.type not in ANNOTATION_TYPES and child.type not in COMMENT_TYPES
    )
    return annotations, keywords


def enclosing_class_path(parsed: ParsedFile, node: Node) -> tuple[str, ...]:
    """Names of the types enclosing ``node``, outermost first (anonymous ones as ``Outer$anon``)."""
    names: list[str | None] = []  # innermost first; None marks an anonymous class
    previous = node
    current = node.parent
    while current is not None:
        if current.type in NAMED_TYPE_TYPES:
            name_node = current.child_by_field_name("name")
            names.append(parsed.node_text(name_node) if name_node is not None else ANONYMOUS_SUFFIX)
        elif current.type in _ANONYMOUS_HOLDERS and previous.type == "class_body":
            names.append(None)
        previous, current = current, current.parent
    path: list[str] = []
    for entry in reversed(names):
        if entry is None:
            entry = (path[-1] if path else "") + ANONYMOUS_SUFFIX
        path.append(entry)
    return tuple(path)


def _signature(parsed: ParsedFile, node: Node) -> str:
    parts: list[str] = []
    default_value = node.child_by_field_name("value")
    for child in node.children:
        if child.type in _NOT_IN_SIGNATURE or child == default_value:
            continue
        text = text_without(parsed, child)
        if text:
            parts.append(text)
    return tidy(" ".join(parts)).replace(" (", "(").replace(" [", "[")


def _type_text(parsed: ParsedFile, type_node: Node | None, dimensions: Node | None = None) -> str:
    if type_node is None:
        return ""
    text = text_without(parsed, type_node)
    if dimensions is not None:
        text += "".join(text_without(parsed, dimensions).split())
    return text


def _parameters(parsed: ParsedFile, node: Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
    params = node.child_by_field_name("parameters")
    if params is None and node.type == "compact_constructor_declaration":
        record = node.parent.parent if node.parent is not None else None
        if record is not None and record.type == "record_declaration":
            params = record.child_by_field_name("parameters")
    if params is None:
        return (), ()
    types: list[str] = []
    names: list[str] = []
    for param in params.named_children:
        if param.type == "formal_parameter":
            name_node = param.child_by_field_name("name")
            types.append(
                _type_text(parsed, param.child_by_field_name("type"), param.child_by_field_name("dimensions"))
            )
            names.append(parsed.node_text(name_node) if name_node is not None else "")
        elif param.type == "spread_parameter":
            type_node = next(
                (c for c in param.named_children if c.type not in ("modifiers", "variable_declarator")
                 and c.type not in ANNOTATION_TYPES and c.type not in COMMENT_TYPES),
                None,
            )
            declarator = next((c for c in param.named_children if c.type == "variable_declarator"), None)
            name_node = declarator.child_by_field_name("name") if declarator is not None else None
            types.append(_type_text(parsed, type_node) + "...")
            names.append(parsed.node_text(name_node) if name_node is not None else "")
    return tuple(types), tuple(names)


def _return_type(parsed: ParsedFile, node: Node) -> str | None:
    type_node = node.child_by_field_name("type")
    if type_node is None:
        return None
    return _type_text(parsed, type_node, node.child_by_field_name("dimensions"))
