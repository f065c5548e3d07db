"""Mine a repository: git-tracked Java files → test classes → (focal method, test method) pairs.

Production classes are indexed by (package, simple name) and by path; each test class is mapped to its
focal class by name (mirrored path first, then same package, then a unique simple name elsewhere), and each
test method to a focal method by the heuristics in :mod:`customizer.mining.heuristics`.
"""

from __future__ import annotations

import posixpath
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tree_sitter import Node

from customizer.errors import NoJavaFilesError, NoTestsFoundError
from customizer.java import MethodInfo, ParsedFile, TypeInfo, list_methods, list_types, parse_java
from customizer.java import package_name as java_package
from customizer.java.context import focal_context
from customizer.java.methods import method_node
from customizer.java.tests import detect_tests
from customizer.mining.calls import call_sites, declared_types
from customizer.mining.conventions import TestClassFacts, TestConventions, infer_conventions, source_root
from customizer.mining.gitfiles import RepoFiles, list_java_files
from customizer.mining.heuristics import (
    HEURISTICS,
    SKIP_REASONS,
    Match,
    call_targets_focal,
    focal_class_candidates,
    match_by_name,
    match_by_unique_call,
    partial_class_candidates,
)
from customizer.mining.pairs import FocalMethod, Pair, TestMethod, normalize_pairs, pair_id

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages: ``parse``, ``map``."""

MAX_EXAMPLES = 5
_TEST_DIR_NAMES = frozenset({"test", "tests", "it", "integrationtest", "androidtest", "testfixtures", "jmh"})


@dataclass
class MiningSummary:
    files_scanned: int = 0
    java_files: int = 0
    java_bytes: int = 0
    production_files: int = 0
    test_files: int = 0
    test_classes: int = 0
    test_methods: int = 0
    files_with_errors: int = 0
    unparsable_test_files: int = 0
    pairs: int = 0
    by_heuristic: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    skip_examples: dict[str, list[str]] = field(default_factory=dict)
    undecodable_files: int = 0
    symlinks: int = 0
    huge_files: int = 0
    seconds: float = 0.0

    @property
    def mapped_share(self) -> float:
        """Pairs per test method (0..1)."""
        return self.pairs / self.test_methods if self.test_methods else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_scanned": self.files_scanned, "java_files": self.java_files, "java_bytes": self.java_bytes,
            "production_files": self.production_files, "test_files": self.test_files,
            "test_classes": self.test_classes, "test_methods": self.test_methods,
            "files_with_errors": self.files_with_errors,
            "unparsable_test_files": self.unparsable_test_files, "pairs": self.pairs,
            "by_heuristic": dict(self.by_heuristic), "skipped": dict(self.skipped),
            "skip_examples": {k: list(v) for k, v in self.skip_examples.items()},
            "mapped_share": round(self.mapped_share, 4), "undecodable_files": self.undecodable_files,
            "symlinks": self.symlinks, "huge_files": self.huge_files, "seconds": round(self.seconds, 3),
        }


@dataclass
class MiningResult:
    repo_name: str
    root: Path
    commit: str
    pairs: list[Pair]
    summary: MiningSummary
    conventions: TestConventions

    def to_dict(self, *, include_pairs: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"repo": self.repo_name, "root": str(self.root), "commit": self.commit,
                                "summary": self.summary.to_dict(), "conventions": self.conventions.to_dict()}
        if include_pairs:
            data["pairs"] = [p.to_dict() for p in self.pairs]
        return data


@dataclass
class _SourceFile:
    path: str
    parsed: ParsedFile
    package: str
    tests: list[Any]  # TestClassInfo from customizer.java.tests


@dataclass(frozen=True)
class _ProductionClass:
    file: _SourceFile
    type: TypeInfo

    @property
    def dotted(self) -> str:
        return ".".join(self.type.class_path)


class _Skips:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)

    def add(self, reason: str, example: str, n: int = 1) -> None:
        self.counts[reason] += n
        if len(self.examples[reason]) < MAX_EXAMPLES:
            self.examples[reason].append(example)


def _is_test_dir_root(root: str) -> bool:
    return any(part.lower() in _TEST_DIR_NAMES for part in root.split("/"))


class _Index:
    """Production classes by (package, simple name), by simple name and by file path."""

    def __init__(self, files: list[_SourceFile]) -> None:
        self.by_package: dict[tuple[str, str], list[_ProductionClass]] = defaultdict(list)
        self.by_name: dict[str, list[_ProductionClass]] = defaultdict(list)
        self.by_path: dict[str, list[_ProductionClass]] = defaultdict(list)
        for source in files:
            for info in list_types(source.parsed):
                if any("$" in part for part in info.class_path) or not info.name:
                    continue
                cls = _ProductionClass(source, info)
                self.by_package[(source.package, info.name)].append(cls)
                self.by_name[info.name].append(cls)
                self.by_path[source.path].append(cls)

    def resolve(self, test_file: str, package: str, test_class: str) -> tuple[_ProductionClass | None, str, bool]:
        """(focal class of a test class or None, the skip reason, whether only a prefix of the name matched): the
        class its name names (``FooTest`` → ``Foo``), else the class its name starts with (``FooParsingTest`` →
        ``Foo``)."""
        names = [name for name, _pattern in focal_class_candidates(test_class)]
        found, reason = self._first(test_file, package, names)
        if found is None and reason == "no_focal_class":
            # a shorter prefix is tried only while the longer ones name no class at all
            found, reason = self._first(test_file, package, partial_class_candidates(test_class),
                                        stop_at_ambiguous=True)
            return found, reason, True
        return found, reason, False

    def _first(self, test_file: str, package: str, names: list[str], *, stop_at_ambiguous: bool = False
               ) -> tuple[_ProductionClass | None, str]:
        """The class of the first of ``names`` that resolves to one class, or None and the skip reason; with
        ``stop_at_ambiguous`` the search ends at a name that several classes have."""
        ambiguous = False
        for name in names:
            for mirrored in _mirrored_paths(test_file, name):
                found = [c for c in self.by_path.get(mirrored, []) if c.type.name == name]
                if found:
                    return _outermost(found), ""
            same_package = self.by_package.get((package, name), [])
            if same_package:
                return _closest(same_package, test_file), ""
            elsewhere = self.by_name.get(name, [])
            top_level = [c for c in elsewhere if len(c.type.class_path) == 1] or elsewhere
            if len({(c.file.path, c.dotted) for c in top_level}) == 1:
                return top_level[0], ""
            ambiguous = ambiguous or len(top_level) > 1
            if ambiguous and stop_at_ambiguous:
                break
        return None, "ambiguous_focal_class" if ambiguous else "no_focal_class"


def _outermost(classes: list[_ProductionClass]) -> _ProductionClass:
    return min(classes, key=lambda c: (len(c.type.class_path), c.type.start_byte))


def _closest(classes: list[_ProductionClass], test_file: str) -> _ProductionClass:
    """Among same-package candidates (multi-module copies), the one sharing the longest path prefix."""
    def shared(c: _ProductionClass) -> int:
        return len(posixpath.commonprefix([c.file.path, test_file]))

    return min(classes, key=lambda c: (-shared(c), len(c.type.class_path), c.file.path, c.type.start_byte))


def _mirrored_paths(test_file: str, focal: str) -> list[str]:
    """``m/src/test/java/a/FooTest.java`` → ``m/src/main/java/a/Foo.java`` (and ``test/…`` → ``src/…``)."""
    directory = posixpath.dirname(test_file)
    filename = f"{focal}.java"
    parts = directory.split("/")
    paths = []
    for i, part in enumerate(parts):
        if part in ("test", "tests"):
            for replacement in ("main", "src"):
                paths.append("/".join([*parts[:i], replacement, *parts[i + 1:], filename]))
    paths.append(posixpath.join(directory, filename) if directory else filename)
    return list(dict.fromkeys(paths))


def _looks_like_broken_test(source: _SourceFile) -> bool:
    """A file named like a test that has syntax errors and in which no test class survived parsing."""
    stem = posixpath.basename(source.path).removesuffix(".java")
    return source.parsed.has_error and not source.tests and bool(focal_class_candidates(stem))


def _type_node(parsed: ParsedFile, info: TypeInfo) -> Node:
    node = parsed.root.descendant_for_byte_range(info.start_byte, info.end_byte)
    while node is not None and not (node.start_byte == info.start_byte and node.end_byte == info.end_byte
                                    and node.type.endswith("declaration")):
        node = node.parent
    return node if node is not None else parsed.root


def _framework_name(info: Any) -> str:
    framework = getattr(info, "framework", None)
    return str(getattr(framework, "value", framework) or "unknown")


class _Miner:
    def __init__(self, files: RepoFiles, progress: Progress | None) -> None:
        self.files = files
        self.progress = progress
        self.skips = _Skips()
        self.by_heuristic: Counter[str] = Counter()
        self.pairs: list[Pair] = []
        self.facts: list[TestClassFacts] = []
        self.test_methods = 0
        self.test_classes = 0

    def parse(self) -> list[_SourceFile]:
        sources = self.files.sources
        parsed_files = []
        for done, source in enumerate(sources, start=1):
            parsed = parse_java(source.text, source.path)
            parsed_files.append(_SourceFile(source.path, parsed, java_package(parsed), list(detect_tests(parsed))))
            if self.progress:
                self.progress("parse", done, len(sources))
        return parsed_files

    def split(self, sources: list[_SourceFile]) -> tuple[list[_SourceFile], list[_SourceFile]]:
        """(test files, production files). Test roots (roots holding tests under a test-like directory, or
        holding nothing but tests) contribute no production classes."""
        roots: dict[str, list[_SourceFile]] = defaultdict(list)
        for source in sources:
            roots[source_root(source.path, source.package)].append(source)
        test_roots = {
            root for root, members in roots.items()
            if any(s.tests for s in members) and (_is_test_dir_root(root) or all(s.tests for s in members))
        }
        tests = [s for s in sources if s.tests]
        production = [s for s in sources
                      if not s.tests and source_root(s.path, s.package) not in test_roots]
        return tests, production

    def map_tests(self, tests: list[_SourceFile], index: _Index) -> None:
        for done, source in enumerate(tests, start=1):
            for info in source.tests:
                self._map_class(source, info, index)
            if self.progress:
                self.progress("map", done, len(tests))

    def _map_class(self, source: _SourceFile, info: Any, index: _Index) -> None:
        test_type: TypeInfo = info.type
        test_methods: list[MethodInfo] = list(info.test_methods)
        dotted = ".".join(test_type.class_path)
        self.test_classes += 1
        self.test_methods += len(test_methods)
        outer = test_type.class_path[0]
        focal, reason, by_prefix = index.resolve(source.path, source.package, outer)
        pattern = None
        if focal is not None:
            pattern = next((p for n, p in focal_class_candidates(outer) if n == focal.type.name), None)
        self.facts.append(TestClassFacts(
            file=source.path, package=source.package, framework=_framework_name(info),
            assertion_libraries=tuple(getattr(info, "assertion_libraries", ())), naming_pattern=pattern,
        ))
        if focal is None:
            for method in test_methods:
                self.skips.add(reason, f"{dotted}.{method.name}")
            return
        focal_methods = [m for m in list_methods(focal.file.parsed) if m.class_path == focal.type.class_path]
        var_types = declared_types(source.parsed, _type_node(source.parsed, test_type))
        own_methods = {m.name for m in list_methods(source.parsed)}
        for method in test_methods:
            self._map_method(source, dotted, method, focal, focal_methods, var_types, own_methods, by_prefix)

    def _map_method(self, source: _SourceFile, dotted: str, test: MethodInfo, focal: _ProductionClass,
                    focal_methods: list[MethodInfo], var_types: dict[str, str], own_methods: set[str],
                    by_prefix: bool = False) -> None:
        example = f"{dotted}.{test.name}"
        if not test.has_body or "abstract" in test.modifiers:
            self.skips.add("abstract_or_no_body", example)
            return
        if test.has_error:
            self.skips.add("test_has_error", example)
            return
        local_types = {**var_types, **declared_types(source.parsed, method_node(source.parsed, test))}
        calls = [c for c in call_sites(source.parsed, test, local_types)
                 if call_targets_focal(c.receiver, focal.type.name, local_types, own_methods, c.name,
                                       known_only=by_prefix)]
        match: Match | None = match_by_name(test.name, focal_methods, calls)
        if match is None or match.method is None:
            by_call = match_by_unique_call(focal_methods, calls, focal.type.name)
            match = by_call if by_call.method is not None or match is None else match
        if match.method is None:
            self.skips.add(match.reason or "no_match", example)
            return
        method = match.method
        if not method.has_body:
            self.skips.add("focal_no_body", example)
            return
        if method.has_error:
            self.skips.add("focal_has_error", example)
            return
        test_signature = f"{dotted}#{test.signature}"
        focal_signature = f"{focal.dotted}#{method.signature}"
        self.pairs.append(Pair(
            id=pair_id(source.path, test_signature, focal.file.path, focal_signature),
            repo=self.files.name,
            commit=self.files.commit,
            heuristic=match.heuristic or "",
            focal=FocalMethod(file=focal.file.path, class_=focal.dotted, method=method.name,
                              signature=method.signature, body=method.text,
                              byte_range=(method.start_byte, method.end_byte), line=method.start_line),
            context=focal_context(focal.file.parsed, method),
            test=TestMethod(file=source.path, class_=dotted, method=test.name, body=test.text),
        ))


def mine_repository(path: str | Path, *, progress: Progress | None = None) -> MiningResult:
    """Mine the git repository containing ``path``. Raises NotAGitRepositoryError, NoJavaFilesError,
    NoTestsFoundError for unusable input."""
    started = time.perf_counter()
    files = list_java_files(path)
    if not files.sources:
        raise NoJavaFilesError(
            f"no git-tracked .java files in {files.root}; `git add` your Java sources, or pass the Java "
            "project's repository"
        )
    miner = _Miner(files, progress)
    sources = miner.parse()
    tests, production = miner.split(sources)
    if not tests:
        raise NoTestsFoundError(
            f"no JUnit/TestNG tests found under {files.root}; TestTailor learns from existing tests — "
            "write a few, or use the base model with `testtailor generate --base-only`"
        )
    miner.map_tests(tests, _Index(production))
    pairs = normalize_pairs(miner.pairs)
    kept = {id(p) for p in pairs}
    for pair in miner.pairs:
        if id(pair) not in kept:
            miner.skips.add("duplicate", f"{pair.test.class_}.{pair.test.method}")
    by_heuristic = Counter(p.heuristic for p in pairs)
    summary = MiningSummary(
        files_scanned=files.tracked_files, java_files=len(files.sources), java_bytes=files.java_bytes,
        production_files=len(production), test_files=len(tests), test_classes=miner.test_classes,
        test_methods=miner.test_methods, files_with_errors=sum(s.parsed.has_error for s in sources),
        unparsable_test_files=sum(_looks_like_broken_test(s) for s in sources), pairs=len(pairs),
        by_heuristic={h: by_heuristic[h] for h in HEURISTICS if by_heuristic[h]},
        skipped={r: miner.skips.counts[r] for r in SKIP_REASONS if miner.skips.counts[r]},
        skip_examples={r: miner.skips.examples[r] for r in SKIP_REASONS if miner.skips.counts[r]},
        undecodable_files=files.undecodable, symlinks=files.symlinks, huge_files=files.huge,
        seconds=time.perf_counter() - started,
    )
    conventions = infer_conventions(miner.facts, [(s.path, s.package) for s in production])
    return MiningResult(repo_name=files.name, root=files.root, commit=files.commit, pairs=pairs,
                        summary=summary, conventions=conventions)
