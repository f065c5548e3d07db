"""Type declarations (classes, interfaces, enums, records, annotation types) of a Java file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from tree_sitter import Node, Query, QueryCursor

from customizer.java.imports import imports, package_name
from customizer.java.methods import NAMED_TYPE_TYPES, annotation_names, enclosing_class_path
from customizer.java.parser import ParsedFile, java_language
from customizer.java.source_text import COMMENT_TYPES, simple_name, text_without

__all__ = ["TypeInfo", "imports", "list_types", "package_name", "type_info"]

_KINDS = {
    "class_declaration": "class",
    "interface_declaration": "interface",
    "enum_declaration": "enum",
    "record_declaration": "record",
    "annotation_type_declaration": "annotation",
}
_FIELD_TYPES = frozenset({"field_declaration", "constant_declaration"})


@dataclass(frozen=True)
class TypeInfo:
    """A named type declaration. ``class_path`` ends with the type's own name; lines are 0-based.

    ``superclass`` and ``interfaces`` are the type names as written (generics kept, annotations
    dropped); for an interface, ``interfaces`` holds the interfaces it extends. ``fields`` are the
    field declarations as normalized source text (annotations and comments removed, single spaces),
    e.g. ``"private final int count;"``; a record's components appear as
    ``"private final int x;"`` before its declared (static) fields.
    """

    name: str
    kind: str
    class_path: tuple[str, ...]
    package: str
    superclass: str | None
    interfaces: tuple[str, ...]
    annotations: tuple[str, ...]
    fields: tuple[str, ...]
    start_byte: int
    end_byte: int
    start_line: int
    end_line: int

    @property
    def qualified_name(self) -> str:
        names = ".".join(self.class_path)
        return f"{self.package}.{names}" if self.package else names


@cache
def _type_query() -> Query:
    patterns = " ".join(f"({t})" for t in sorted(NAMED_TYPE_TYPES))
    return Query(java_language(), f"[{patterns}] @type")


def list_types(parsed: ParsedFile) -> list[TypeInfo]:
    """Every named type in the file (nested and local ones too), in source order."""
    memo = parsed.memo
    if "types" not in memo:
        nodes = QueryCursor(_type_query()).captures(parsed.root).get("type", [])
        nodes = sorted(nodes, key=lambda n: n.start_byte)
        memo["types"] = [type_info(parsed, node) for node in nodes]
    return list(memo["types"])  # type: ignore[call-overload]


def type_info(parsed: ParsedFile, node: Node) -> TypeInfo:
    """Describe the type declaration ``node`` (one of ``NAMED_TYPE_TYPES``)."""
    name_node = node.child_by_field_name("name")
    name = parsed.node_text(name_node) if name_node is not None else ""
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    superclass = None
    interfaces: list[str] = []
    for child in node.children:
        if child.type == "superclass":
            superclass = next(
                (text_without(parsed, c) for c in child.named_children if c.type not in COMMENT_TYPES), None
            )
        elif child.type in ("super_interfaces", "extends_interfaces"):
            interfaces.extend(_type_list(parsed, child))
    return TypeInfo(
        name=name,
        kind=_KINDS.get(node.type, "class"),
        class_path=(*enclosing_class_path(parsed, node), name),
        package=package_name(parsed),
        superclass=superclass,
        interfaces=tuple(interfaces),
        annotations=tuple(simple_name(n) for n in annotation_names(parsed, modifiers)),
        fields=tuple(_fields(parsed, node)),
        start_byte=node.start_byte,
        end_byte=node.end_byte,
        start_line=node.start_point.row,
        end_line=node.end_point.row,
    )


def _type_list(parsed: ParsedFile, clause: Node) -> list[str]:
    names: list[str] = []
    for child in clause.named_children:
        if child.type == "type_list":
            names.extend(
                text_without(parsed, t) for t in child.named_children if t.type not in COMMENT_TYPES
            )
    return names


def _fields(parsed: ParsedFile, node: Node) -> list[str]:
    fields: list[str] = []
    if node.type == "record_declaration":
        params = node.child_by_field_name("parameters")
        for param in params.named_children if params is not None else ():
            type_node = param.child_by_field_name("type")
            name_node = param.child_by_field_name("name")
            if type_node is not None and name_node is not None:
                dims = param.child_by_field_name("dimensions")
                dims_text = "".join(parsed.node_text(dims).split()) if dims is not None else ""
                type_text = text_without(parsed, type_node) + dims_text
                fields.append(f"private final {type_text} {parsed.node_text(name_node)};")
    body = node.child_by_field_name("body")
    if body is None:
        return fields
    members = list(body.named_children)
    for member in body.named_children:
        if member.type == "enum_body_declarations":
            members.extend(member.named_children)
    for member in members:
        if member.type in _FIELD_TYPES:
            text = text_without(parsed, member)
            fields.append(text if text.endswith(";") else text + ";")
    return fields
