"""Where a generated test goes and what the edit looks like: shared by the CLI (writes it) and the server.

``place_test`` picks the test file for a focal method (an existing test class by the project's conventions,
else a new one in the mirrored package under the test root), normalises the generated method for the
framework in use (``@Test`` or JUnit 3 naming, unique name, indentation), works out the missing imports
(respecting existing wildcard imports and never importing a second ``assertThat``), and returns a
:class:`TestEdit`. Positions are 0-based lines and code point columns, as everywhere in ``customizer``.
The test file always lies inside the repository: anything else raises :class:`UnsafeTestPathError`.
"""

from __future__ import annotations

import os
import re
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tree_sitter import Node

from customizer.errors import JavaSyntaxError, StorageError, UnsafeTestPathError
from customizer.java.parser import ParsedFile, parse_java

FRAMEWORKS = ("junit3", "junit4", "junit5", "testng")

_TEST_ANNOTATION = {"junit4": "org.junit.Test", "junit5": "org.junit.jupiter.api.Test",
                    "testng": "org.testng.annotations.Test"}
_FRAMEWORK_ASSERTS = {"junit4": "org.junit.Assert", "junit5": "org.junit.jupiter.api.Assertions",
                      "testng": "org.testng.Assert"}
_LIBRARY_ASSERT_THAT = {"assertj": "org.assertj.core.api.Assertions", "hamcrest": "org.hamcrest.MatcherAssert",
                        "truth": "com.google.common.truth.Truth"}
_ASSERTJ_EXTRA = ("assertThatThrownBy", "assertThatExceptionOfType", "assertThatCode")
_HAMCREST_MATCHERS = ("is", "equalTo", "not", "nullValue", "notNullValue", "hasSize", "contains",
                      "containsString", "instanceOf", "hasItem", "hasItems", "empty", "sameInstance",
                      "greaterThan", "lessThan", "closeTo", "containsInAnyOrder", "anyOf", "allOf")
_JUNIT_ASSERTS = ("assertEquals", "assertNotEquals", "assertTrue", "assertFalse", "assertNull", "assertNotNull",
                  "assertSame", "assertNotSame", "assertArrayEquals", "assertThrows", "assertDoesNotThrow",
                  "assertAll", "assertIterableEquals", "assertLinesMatch", "assertTimeout", "fail", "assertThat")
_CALL = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*\(")


class TestConventionsLike(Protocol):
    """What placement needs from ``customizer.mining.conventions.TestConventions``."""

    framework: str | None
    assertion_library: str | None
    test_roots: list[str]

    def test_path_for(self, main_file: str) -> str: ...


class FocalMethod(Protocol):
    """What placement needs from ``customizer.java``'s ``MethodInfo``."""

    name: str
    package: str


@dataclass(frozen=True)
class TextInsertion:
    """Insert ``text`` at (``line``, ``col``) of the original file."""

    __test__ = False
    line: int
    col: int
    text: str


@dataclass(frozen=True)
class TestEdit:
    """A test to write. For a new file (``created``) ``new_text`` is its content; for an existing one the
    method goes in at (``insert_line``, ``insert_col``) and ``import_insertions`` add imports (positions in
    ``original_text``). ``final_text`` is the file after the edit; ``test_range`` (start line, start col,
    end line, end col) is where the test method lies in it."""

    __test__ = False
    path: Path
    created: bool
    method_name: str
    test_range: tuple[int, int, int, int]
    final_text: str
    framework: str
    new_text: str | None = None
    insert_line: int = 0
    insert_col: int = 0
    insert_text: str = ""
    import_insertions: tuple[TextInsertion, ...] = ()
    original_text: str | None = None

    @property
    def insertions(self) -> list[TextInsertion]:
        """All insertions into ``original_text`` (imports first), for editors that apply text edits."""
        if self.created:
            return []
        return [*self.import_insertions, TextInsertion(self.insert_line, self.insert_col, self.insert_text)]


def find_repo_root(path: str | Path) -> Path | None:
    """The nearest ancestor of ``path`` (or itself) that holds ``.git``; None outside any repository."""
    p = Path(path).resolve()
    for candidate in (p, *p.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def ensure_inside(root: str | Path, path: str | Path) -> Path:
    """``path`` resolved (relative paths are taken from ``root``); raises when it leaves ``root``."""
    base = Path(root).resolve()
    target = Path(path) if Path(path).is_absolute() else base / path
    resolved = target.resolve()
    if not resolved.is_relative_to(base):
        raise UnsafeTestPathError(f"refusing to write {target}: it lies outside the repository {base}; "
                                  "check the project's test directories")
    return resolved


# --- the test file ---------------------------------------------------------------------------------------


def _declared_package(path: Path) -> str | None:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return None
    match = re.search(r"^\s*package\s+([\w.]+)\s*;", head, re.MULTILINE)
    return match.group(1) if match else ""


def choose_test_path(repo: Path, conventions: TestConventionsLike, focal_file: Path, package: str) -> Path:
    """The existing test file for the focal file or the path of a new one, always inside ``repo``."""
    rel_focal = focal_file.relative_to(repo).as_posix()
    existing = getattr(conventions, "existing_test_for", None)
    found = existing(rel_focal, repo) if callable(existing) else None
    path = ensure_inside(repo, found or conventions.test_path_for(rel_focal))
    if path.suffix != ".java":
        raise UnsafeTestPathError(f"refusing to write {path}: a test file must end in .java; "
                                  "check the project's test naming conventions")
    if path.exists():
        return path
    # The same test class elsewhere under a test root, in the focal class's package.
    for root in conventions.test_roots or ():
        base = ensure_inside(repo, root)
        for other in sorted(base.rglob(path.name)) if base.is_dir() else ():
            if _declared_package(other) == package:
                return ensure_inside(repo, other)
    return path


def framework_name(value: str | None) -> str | None:
    """``junit3``/``junit4``/``junit5``/``testng`` from a mined or user-given name; None if unknown."""
    key = re.sub(r"[^a-z0-9]", "", (value or "").lower())
    if key in ("junit5", "jupiter", "junitjupiter"):
        return "junit5"
    return key if key in FRAMEWORKS else None


def _detect_framework(parsed: ParsedFile, default: str) -> str:
    text = parsed.text
    if re.search(r"^\s*import\s+(static\s+)?org\.junit\.jupiter\.", text, re.MULTILINE):
        return "junit5"
    if re.search(r"^\s*import\s+(static\s+)?org\.testng\.", text, re.MULTILINE):
        return "testng"
    if re.search(r"^\s*import\s+org\.junit\.(Test|\*)\s*;", text, re.MULTILINE):
        return "junit4"
    if re.search(r"\bextends\s+(junit\.framework\.)?TestCase\b", text):
        return "junit3"
    return default


# --- imports ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Import:
    static: bool
    name: str  # fully qualified, without ".*"
    wildcard: bool

    def render(self) -> str:
        return f"import {'static ' if self.static else ''}{self.name}{'.*' if self.wildcard else ''};"


def _existing_imports(parsed: ParsedFile) -> list[_Import]:
    found = []
    for node in parsed.root.children:
        if node.type != "import_declaration":
            continue
        text = re.sub(r"\s+", " ", parsed.node_text(node))
        match = re.match(r"import (static )?([\w.]+?)(\.\*)? ?;", text)
        if match:
            found.append(_Import(bool(match.group(1)), match.group(2), bool(match.group(3))))
    return found


def _covered(wanted: _Import, existing: Sequence[_Import]) -> bool:
    parent, _, simple = wanted.name.rpartition(".")
    for imp in existing:
        if imp.static != wanted.static:
            continue
        if imp.wildcard and imp.name == parent:
            return True
        if not imp.wildcard and (imp.name == wanted.name or imp.name.rpartition(".")[2] == simple):
            return True  # the same import, or the simple name is taken by another one: never clash
    return False


def required_imports(method_text: str, framework: str, assertion_library: str | None) -> list[_Import]:
    """Imports the test method needs: the ``@Test`` annotation and static imports of assertions it calls."""
    wanted: list[_Import] = []
    if framework in _TEST_ANNOTATION and re.search(r"@Test\b", method_text):
        wanted.append(_Import(False, _TEST_ANNOTATION[framework], False))
    if framework == "junit3":
        return wanted  # assertions are inherited from TestCase
    calls = dict.fromkeys(_CALL.findall(_strip_strings(method_text)))
    library = assertion_library if assertion_library in _LIBRARY_ASSERT_THAT else ""
    for name in calls:
        owner = None
        if library and (name == "assertThat" or (library == "assertj" and name in _ASSERTJ_EXTRA)):
            owner = _LIBRARY_ASSERT_THAT[library]
        elif library == "hamcrest" and name in _HAMCREST_MATCHERS:
            owner = "org.hamcrest.Matchers"
        elif name in _JUNIT_ASSERTS and not (name == "assertThat" and framework != "junit4"):
            owner = _FRAMEWORK_ASSERTS[framework]
            if framework == "testng" and name in ("assertThrows",):
                owner = "org.testng.Assert"
        if owner:
            wanted.append(_Import(True, f"{owner}.{name}", False))
    return wanted


def _strip_strings(text: str) -> str:
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


# --- the test method -------------------------------------------------------------------------------------


def _method_nodes(parsed: ParsedFile, body: Node) -> list[Node]:
    return [c for c in body.named_children if c.type in ("method_declaration", "constructor_declaration")]


def reindent(text: str, indent: str) -> str:
    """``text`` (a method whose first line may have lost its indentation, as a test cut out of its file has) with
    its lines shifted so that the method starts at ``indent``; the relative indentation of its body is kept."""
    lines = text.strip("\n").rstrip().splitlines()
    if len(lines) > 1 and lines[0] == lines[0].lstrip():
        last = next(line for line in reversed(lines) if line.strip())
        depth = len(last) - len(last.lstrip())
        lines = [lines[0]] + [line[min(depth, len(line) - len(line.lstrip())):] for line in lines[1:]]
    else:
        lines = textwrap.dedent("\n".join(lines)).splitlines()
    return "\n".join(indent + line if line.strip() else "" for line in lines)


def _capitalized(name: str) -> str:
    return name[:1].upper() + name[1:]


def normalize_test_method(text: str, focal_name: str, framework: str, taken: set[str]) -> tuple[str, str]:
    """The generated text as a test method for ``framework`` with a name not in ``taken``: (text, name).

    A text that is not a method declaration (a model may emit only statements) becomes the body of
    ``test<FocalName>``.
    """
    text = text.strip()
    probe = parse_java(f"class __TestTailorProbe {{\n{text}\n}}")
    body = probe.root.children[0].child_by_field_name("body") if probe.root.children else None
    methods = _method_nodes(probe, body) if body is not None else []
    name_match = re.search(r"\bvoid\s+([A-Za-z_]\w*)\s*\(", text)
    if len(methods) == 1 and methods[0].type == "method_declaration" and not probe.has_error:
        name_node = methods[0].child_by_field_name("name")
        name = probe.node_text(name_node) if name_node is not None else f"test{_capitalized(focal_name)}"
    elif name_match:
        name = name_match.group(1)
    else:
        name = f"test{_capitalized(focal_name)}"
        body_text = textwrap.indent(text, "    ") if text else ""
        text = f"public void {name}() {{\n{body_text}\n}}" if body_text else f"public void {name}() {{\n}}"
    header_end = text.find("(", text.find(name)) if name in text else 0
    header = text[:header_end]
    if framework == "junit3":
        text = re.sub(r"@Test\b(\([^)]*\))?\s*", "", text)
        if not name.startswith("test"):
            text, name = _rename(text, name, f"test{_capitalized(name)}"), f"test{_capitalized(name)}"
    elif not re.search(r"@Test\b", header):
        text = "@Test\n" + text
    header = text[: text.find("(", text.find(name))] if name in text else ""
    if framework in ("junit3", "junit4", "testng") and not re.search(r"\bpublic\b", header) \
            and re.search(r"\bvoid\b", header):
        text = re.sub(r"(?<![\w.])(?:(?:protected|private)\s+)?((?:(?:static|final|synchronized)\s+)*)void\s",
                      r"public \1void ", text, count=1)
    unique = name
    counter = 2
    while unique in taken:
        unique = f"{name}{counter}"
        counter += 1
    if unique != name:
        text = _rename(text, name, unique)
    return text, unique


def _rename(text: str, old: str, new: str) -> str:
    return re.sub(rf"\b{re.escape(old)}(\s*\()", rf"{new}\1", text, count=1)


# --- putting it together ---------------------------------------------------------------------------------


def _main_class_body(parsed: ParsedFile, stem: str) -> Node:
    classes = [n for n in parsed.root.named_children if n.type == "class_declaration"]
    named = [n for n in classes if (nm := n.child_by_field_name("name")) is not None and parsed.node_text(nm) == stem]
    target = (named or classes or [None])[0]
    body = target.child_by_field_name("body") if target is not None else None
    if body is None or not body.children or body.children[-1].type != "}" or body.children[-1].is_missing:
        raise JavaSyntaxError(f"cannot add a test to {parsed.path}: no complete class {stem} in it; "
                              "fix the file's syntax and try again")
    return body


def _offset(text: str, line: int, col: int) -> int:
    starts = [0, *(i + 1 for i, ch in enumerate(text) if ch == "\n")]
    return starts[line] + col


def _point(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _imports_block(imports: Sequence[_Import]) -> str:
    plain = [i.render() for i in imports if not i.static]
    static = [i.render() for i in imports if i.static]
    return "\n".join(plain + static)


def place_test(repo: str | Path, conventions: TestConventionsLike, focal_file: str | Path, method: FocalMethod,
               test_text: str, existing_text: str | None = None, test_path: str | Path | None = None) -> TestEdit:
    """Decide where ``test_text`` (a generated test method for ``method``) goes and how.

    ``existing_text`` overrides the test file's content on disk (an editor's unsaved buffer);
    ``test_path`` overrides the conventions' choice (still checked to lie inside ``repo``).
    """
    root = Path(repo).resolve()
    focal = ensure_inside(root, focal_file)
    package = method.package or ""
    path = ensure_inside(root, test_path) if test_path is not None else choose_test_path(
        root, conventions, focal, package)
    default_framework = framework_name(conventions.framework) or "junit5"
    if existing_text is None and path.exists():
        try:
            existing_text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"cannot read {path} ({exc}); check the file's permissions and encoding") from exc
    if existing_text is None:
        return _new_file(path, package, conventions, default_framework, method.name, test_text)
    return _into_existing(path, existing_text, conventions, default_framework, method.name, test_text)


def _new_file(path: Path, package: str, conventions: TestConventionsLike, framework: str, focal_name: str,
              test_text: str) -> TestEdit:
    text, name = normalize_test_method(test_text, focal_name, framework, set())
    imports = required_imports(text, framework, conventions.assertion_library or "junit")
    if framework == "junit3":
        imports.insert(0, _Import(False, "junit.framework.TestCase", False))
    head = f"package {package};\n\n" if package else ""
    if imports:
        head += _imports_block(imports) + "\n\n"
    declaration = {"junit3": f"public class {path.stem} extends TestCase {{",
                   "junit5": f"class {path.stem} {{"}.get(framework, f"public class {path.stem} {{")
    head += declaration + "\n\n"
    method_block = reindent(text, "    ")
    content = head + method_block + "\n}\n"
    start = len(head) + len(method_block) - len(method_block.lstrip())
    test_range = (*_point(content, start), *_point(content, len(head) + len(method_block)))
    return TestEdit(path=path, created=True, method_name=name, test_range=test_range, final_text=content,
                    framework=framework, new_text=content)


def _into_existing(path: Path, original: str, conventions: TestConventionsLike, default_framework: str,
                   focal_name: str, test_text: str) -> TestEdit:
    parsed = parse_java(original, str(path))
    original = parsed.text  # without a byte order mark, as editors count positions
    framework = _detect_framework(parsed, default_framework)
    body = _main_class_body(parsed, path.stem)
    members = _method_nodes(parsed, body)
    taken = {parsed.node_text(n) for m in members if (n := m.child_by_field_name("name")) is not None}
    text, name = normalize_test_method(test_text, focal_name, framework, taken)

    brace_line, brace_col = parsed.node_point(body.children[-1])
    brace_prefix = parsed.line_text(brace_line)[:brace_col]
    first_member = next((c for c in body.named_children if c.type not in ("line_comment", "block_comment")), None)
    if first_member is not None:
        m_line, m_col = parsed.node_point(first_member)
        indent = parsed.line_text(m_line)[:m_col]
        indent = indent if not indent.strip() else "    "
    else:
        unit = "\t" if "\n\t" in original else "    "
        indent = brace_prefix[: len(brace_prefix) - len(brace_prefix.lstrip())] + unit
    method_block = reindent(text, indent)
    open_line = parsed.node_point(body)[0]
    if not brace_prefix.strip():
        previous_blank = brace_line > 0 and not parsed.line_text(brace_line - 1).strip()
        lead = "" if previous_blank or brace_line - 1 == open_line else "\n"
        insert_line, insert_col, insert_text = brace_line, 0, lead + method_block + "\n"
    else:
        lead = "\n"
        insert_line, insert_col, insert_text = brace_line, brace_col, lead + method_block + "\n"

    missing = [i for i in required_imports(text, framework, conventions.assertion_library or "junit")
               if not _covered(i, _existing_imports(parsed))]
    import_insertions: tuple[TextInsertion, ...] = ()
    if missing:
        block = _imports_block(missing)
        anchors = [n for n in parsed.root.children if n.type in ("import_declaration", "package_declaration")]
        if anchors:
            a_line, a_col = parsed.node_point(anchors[-1], end=True)
            gap = "\n" if anchors[-1].type == "import_declaration" else "\n\n"
            import_insertions = (TextInsertion(a_line, a_col, gap + block),)
        else:
            import_insertions = (TextInsertion(0, 0, block + "\n\n"),)

    final = original
    for ins in sorted([*import_insertions, TextInsertion(insert_line, insert_col, insert_text)],
                      key=lambda i: (i.line, i.col), reverse=True):
        at = _offset(original, ins.line, ins.col)
        final = final[:at] + ins.text + final[at:]
    shift = sum(len(i.text) for i in import_insertions)
    start = _offset(original, insert_line, insert_col) + shift + len(lead)
    end = start + len(method_block)
    start += len(method_block) - len(method_block.lstrip())
    test_range = (*_point(final, start), *_point(final, end))
    return TestEdit(path=path, created=False, method_name=name, test_range=test_range, final_text=final,
                    framework=framework, insert_line=insert_line, insert_col=insert_col,
                    insert_text=insert_text, import_insertions=import_insertions, original_text=original)


def apply_edit(edit: TestEdit) -> Path:
    """Write the edit to disk atomically (temporary sibling, then rename). Returns the path written.

    Refuses to overwrite a file that appeared since a new one was planned, or one that changed on disk
    since the edit was computed.
    """
    path = edit.path
    if edit.created and path.exists():
        raise StorageError(f"{path} appeared while the test was generated; run the command again")
    if not edit.created:
        try:
            current = path.read_text(encoding="utf-8").removeprefix("\ufeff")
        except OSError as exc:
            raise StorageError(f"cannot read {path} ({exc.strerror}); check its permissions") from exc
        if current != edit.original_text:
            raise StorageError(f"{path} changed while the test was generated; run the command again")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(edit.final_text)
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(f"cannot write {path} ({exc.strerror}); free some disk space or fix permissions "
                           "and try again") from exc
    return path
