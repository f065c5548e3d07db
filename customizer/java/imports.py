"""A Java file's package declaration and import list."""

from __future__ import annotations

from customizer.java.parser import ParsedFile
from customizer.java.source_text import COMMENT_TYPES


def package_name(parsed: ParsedFile) -> str:
    """The file's package, e.g. ``org.example.util`` (``""`` for the default package)."""
    memo = parsed.memo
    if "package" not in memo:
        memo["package"] = ""
        for child in parsed.root.children:
            if child.type == "package_declaration":
                for part in child.named_children:
                    if part.type in ("scoped_identifier", "identifier"):
                        memo["package"] = "".join(parsed.node_text(part).split())
                        break
                break
    return str(memo["package"])


def imports(parsed: ParsedFile) -> list[str]:
    """Imports in source order without ``import`` and ``;``.

    Example: ``["static org.junit.Assert.*", "java.util.List"]``.
    """
    memo = parsed.memo
    if "imports" not in memo:
        found: list[str] = []
        for child in parsed.root.children:
            if child.type != "import_declaration":
                continue
            is_static = False
            name_parts: list[str] = []
            for part in child.children:
                if part.type == "static":
                    is_static = True
                elif part.type not in ("import", ";") and part.type not in COMMENT_TYPES:
                    name_parts.append("".join(parsed.node_text(part).split()))
            name = "".join(name_parts)
            if name:
                found.append(f"static {name}" if is_static else name)
        memo["imports"] = found
    return list(memo["imports"])  # type: ignore[call-overload]
