"""Focal context (Methods2Test / AthenaTest) and the model input text built from it.

Context levels, from poorest to richest (AthenaTest's naming):
``fm`` focal method only; ``fm+fc`` + focal class name; ``fm+fc+c`` + constructor signatures;
``fm+fc+c+m`` + the other methods' signatures; ``fm+fc+c+m+f`` + field declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from customizer.errors import UnknownContextLevelError
from customizer.java.methods import MethodInfo, list_methods
from customizer.java.parser import ParsedFile
from customizer.java.source_text import normalize_whitespace
from customizer.java.types import list_types

__all__ = [
    "ContextLevel",
    "FocalContext",
    "UnknownContextLevelError",
    "focal_context",
    "normalize_whitespace",
    "parse_context_level",
    "render_input",
]


class ContextLevel(StrEnum):
    FM = "fm"
    FM_FC = "fm+fc"
    FM_FC_C = "fm+fc+c"
    FM_FC_C_M = "fm+fc+c+m"
    FULL = "fm+fc+c+m+f"


_ALIASES = {"full": ContextLevel.FULL}


def parse_context_level(level: ContextLevel | str) -> ContextLevel:
    """``ContextLevel`` from its value (``"fm+fc"``, case and spaces ignored) or ``"full"``."""
    if isinstance(level, ContextLevel):
        return level
    key = "".join(str(level).split()).lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return ContextLevel(key)
    except ValueError:
        choices = ", ".join(member.value for member in ContextLevel)
        raise UnknownContextLevelError(
            f"unknown context level {level!r}; use one of {choices} (or full)"
        ) from None


@dataclass
class FocalContext:
    """What the model sees of the focal method's class: its name, constructor and other method
    signatures, and field declarations (normalized source text)."""

    class_name: str
    constructors: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "class_name": self.class_name,
            "constructors": list(self.constructors),
            "methods": list(self.methods),
            "fields": list(self.fields),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FocalContext:
        return cls(
            class_name=str(data.get("class_name", "")),
            constructors=[str(s) for s in data.get("constructors", [])],
            methods=[str(s) for s in data.get("methods", [])],
            fields=[str(s) for s in data.get("fields", [])],
        )


def focal_context(parsed: ParsedFile, method: MethodInfo) -> FocalContext:
    """The context of ``method`` from its innermost enclosing type (an anonymous class counts as one).

    ``constructors`` and ``methods`` are signatures in source order; ``methods`` leaves out the focal
    method itself (matched by position). Members of nested types are not included.
    """
    siblings = [m for m in list_methods(parsed) if m.class_path == method.class_path]
    constructors = [m.signature for m in siblings if m.is_constructor]
    others = [m.signature for m in siblings if not m.is_constructor and m.start_byte != method.start_byte]
    fields: list[str] = []
    for type_info in list_types(parsed):
        if type_info.class_path == method.class_path:
            fields = list(type_info.fields)
            break
    return FocalContext(method.class_name, constructors, others, fields)


def render_input(
    focal_body: str, context: FocalContext | dict[str, Any], level: ContextLevel | str = ContextLevel.FULL
) -> tuple[str, str]:
    """The model input as ``(focal_text, context_text)``; the caller truncates ``context_text`` first.

    ``focal_text`` is ``normalize_whitespace(focal_body)`` at every level. ``context_text`` is empty for
    ``fm`` and otherwise ``"class <Name> {" + members + " }"`` where members are, as the level allows,
    ``" <constructor signature> ;"`` for each constructor (``+c``), ``" <method signature> ;"`` for each
    other method (``+m``) and ``" <field declaration>"`` for each field, ending in ``;`` (``+f``).
    Example (``fm+fc+c+m+f``): ``class Foo { public Foo(int a) ; public int baz() ; private int a; }``;
    ``fm+fc`` gives ``class Foo { }``.
    """
    level = parse_context_level(level)
    ctx = context if isinstance(context, FocalContext) else FocalContext.from_dict(context)
    focal_text = normalize_whitespace(focal_body)
    if level is ContextLevel.FM:
        return focal_text, ""
    parts = [f"class {ctx.class_name} {{"]
    if level in (ContextLevel.FM_FC_C, ContextLevel.FM_FC_C_M, ContextLevel.FULL):
        parts.extend(f" {normalize_whitespace(sig)} ;" for sig in ctx.constructors)
    if level in (ContextLevel.FM_FC_C_M, ContextLevel.FULL):
        parts.extend(f" {normalize_whitespace(sig)} ;" for sig in ctx.methods)
    if level is ContextLevel.FULL:
        for declaration in ctx.fields:
            text = normalize_whitespace(declaration)
            parts.append(f" {text}" if text.endswith(";") else f" {text};")
    parts.append(" }")
    return focal_text, "".join(parts)
