"""Parse Java source with tree-sitter and convert between byte offsets and (line, column) positions.

Positions are 0-based lines and 0-based columns counted in Python ``str`` characters (code points).
Only ``\\n`` ends a line (a CRLF line keeps its ``\\r`` as the last character), which is how tree-sitter
counts rows too. A leading UTF-8 byte order mark is dropped before parsing, so offsets are relative to
the text after the BOM (which is also what editors report positions against).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cache
from os import PathLike
from pathlib import Path

import tree_sitter_java
from tree_sitter import Language, Node, Parser, Tree

from customizer.errors import NoMethodAtPositionError, NotJavaFileError

_BOM = "\ufeff"


@cache
def java_language() -> Language:
    """The tree-sitter Java grammar (loaded once)."""
    return Language(tree_sitter_java.language())


def _parser() -> Parser:
    # A fresh parser per call: Parser objects are not safe to share between threads.
    return Parser(java_language())


@dataclass
class ParsedFile:
    """A parsed Java file: the UTF-8 ``source`` tree-sitter saw, its decoded ``text`` and the ``tree``.

    ``source == text.encode("utf-8")`` always holds, so byte offsets from the tree index ``source``.
    ``lossy`` is True when the original bytes were not valid UTF-8 (bad bytes became U+FFFD);
    ``had_bom`` is True when a leading byte order mark was removed.
    """

    source: bytes
    text: str
    tree: Tree
    path: str | None
    lossy: bool = False
    had_bom: bool = False
    _line_bytes: list[int] = field(default_factory=list, repr=False)
    _line_chars: list[int] = field(default_factory=list, repr=False)
    memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """Per-file cache for derived results (methods, types, package); the tree never changes."""

    def __post_init__(self) -> None:
        if not self._line_bytes:
            self._line_bytes = _line_starts(self.source, b"\n")
            self._line_chars = _line_starts(self.text, "\n")

    @property
    def is_ascii(self) -> bool:
        return len(self.source) == len(self.text)

    @property
    def line_count(self) -> int:
        return len(self._line_bytes)

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def has_error(self) -> bool:
        """True when tree-sitter had to recover from a syntax error anywhere in the file."""
        return self.tree.root_node.has_error

    def line_text(self, line: int) -> str:
        """The text of ``line`` without its line terminator (``\\n`` or ``\\r\\n``)."""
        self._check_line(line)
        start = self._line_chars[line]
        end = self._line_chars[line + 1] - 1 if line + 1 < len(self._line_chars) else len(self.text)
        text = self.text[start:end]
        return text[:-1] if text.endswith("\r") else text

    def line_start_byte(self, line: int) -> int:
        self._check_line(line)
        return self._line_bytes[line]

    def byte_to_point(self, byte_offset: int) -> tuple[int, int]:
        """(line, code point column) of a byte offset into ``source``."""
        byte_offset = min(max(byte_offset, 0), len(self.source))
        line = bisect_right(self._line_bytes, byte_offset) - 1
        return line, self._column(line, byte_offset)

    def node_point(self, node: Node, end: bool = False) -> tuple[int, int]:
        """(line, code point column) of a node's start (or end), using tree-sitter's row."""
        row, _ = node.end_point if end else node.start_point
        return row, self._column(row, node.end_byte if end else node.start_byte)

    def point_to_byte(self, line: int, column: int) -> int:
        """Byte offset of (line, code point column); columns past the end of the line clamp to its end."""
        text = self.line_text(line)
        column = min(max(column, 0), len(text))
        prefix = text[:column]
        return self._line_bytes[line] + (column if prefix.isascii() else len(prefix.encode("utf-8")))

    def byte_to_char(self, byte_offset: int) -> int:
        """Index into ``text`` of a byte offset into ``source``."""
        line, column = self.byte_to_point(byte_offset)
        return self._line_chars[line] + column

    def node_text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def slice(self, start_byte: int, end_byte: int) -> str:
        return self.source[start_byte:end_byte].decode("utf-8", errors="replace")

    def _column(self, line: int, byte_offset: int) -> int:
        start = self._line_bytes[line]
        if self.is_ascii:
            return byte_offset - start
        return len(self.source[start:byte_offset].decode("utf-8", errors="replace"))

    def _check_line(self, line: int) -> None:
        if not 0 <= line < len(self._line_bytes):
            raise PositionOutOfRangeError(
                f"line {line + 1} is outside {self.path or 'the file'} ({len(self._line_bytes)} lines); "
                "pass a line inside the file"
            )


class PositionOutOfRangeError(NoMethodAtPositionError):
    """A line that lies outside the file (so there is no method there either)."""


def _line_starts(data: str | bytes, newline: str | bytes) -> list[int]:
    starts = [0]
    find = data.find
    index = find(newline)  # type: ignore[arg-type]
    while index != -1:
        starts.append(index + 1)
        index = find(newline, index + 1)  # type: ignore[arg-type]
    return starts


def decode_source(source: str | bytes) -> tuple[str, bool, bool]:
    """Decode to text. Returns (text without BOM, lossy, had_bom)."""
    lossy = False
    if isinstance(source, bytes):
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError:
            text = source.decode("utf-8", errors="replace")
            lossy = True
    else:
        text = source
    had_bom = text.startswith(_BOM)
    if had_bom:
        text = text[1:]
    return text, lossy, had_bom


def parse_java(source: str | bytes, path: str | None = None) -> ParsedFile:
    """Parse Java source (text or UTF-8 bytes). Never raises on syntax errors: tree-sitter recovers."""
    text, lossy, had_bom = decode_source(source)
    data = text.encode("utf-8", errors="surrogatepass")
    tree = _parser().parse(data)
    return ParsedFile(source=data, text=text, tree=tree, path=path, lossy=lossy, had_bom=had_bom)


def read_java_file(path: str | PathLike[str]) -> ParsedFile:
    """Read and parse a ``.java`` file. Raises ``NotJavaFileError`` for other files or unreadable paths."""
    p = Path(path)
    if p.suffix != ".java":
        raise NotJavaFileError(f"{p} is not a .java file; point at a Java source file")
    try:
        data = p.read_bytes()
    except IsADirectoryError as exc:
        raise NotJavaFileError(f"{p} is a directory; point at a Java source file") from exc
    except FileNotFoundError as exc:
        raise NotJavaFileError(f"{p} does not exist; check the path") from exc
    except OSError as exc:
        raise NotJavaFileError(f"cannot read {p} ({exc.strerror}); check its permissions") from exc
    return parse_java(data, path=str(p))
