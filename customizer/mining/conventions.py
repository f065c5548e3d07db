"""A repository's testing conventions, as mined: framework, layout, naming, assertion library.

The editor uses them to place a new test: ``test_path_for("src/main/java/a/Foo.java")`` →
``"src/test/java/a/FooTest.java"`` in the project's own layout and naming pattern.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customizer.mining.heuristics import CLASS_NAME_PATTERNS

NAMING_PATTERNS: tuple[str, ...] = tuple(pattern for _, _, pattern in CLASS_NAME_PATTERNS)
ASSERTION_LIBRARIES = ("junit", "hamcrest", "assertj", "truth")
DEFAULT_TEST_ROOT = "src/test/java"
DEFAULT_MAIN_ROOT = "src/main/java"


def source_root(path: str, package: str) -> str:
    """The source root of a file: its directory minus the package directories (``""`` = repository root).

    ``src/test/java/a/b/FooTest.java`` in package ``a.b`` → ``src/test/java``. A file whose directory does
    not end with its package path counts its own directory as root.
    """
    directory = posixpath.dirname(path)
    package_dir = package.replace(".", "/")
    if not package_dir:
        return directory
    if directory == package_dir:
        return ""
    if directory.endswith("/" + package_dir):
        return directory[: -len(package_dir) - 1]
    return directory


def _ranked(counter: Counter[str]) -> list[str]:
    return [name for name, _ in sorted(counter.items(), key=lambda item: (-item[1], item[0]))]


def _counts(counter: Counter[str]) -> dict[str, int]:
    return {name: counter[name] for name in _ranked(counter)}


@dataclass
class TestConventions:
    """Mined conventions; lists and counts are most common first (ties alphabetical)."""

    __test__ = False  # not a pytest test class

    framework: str | None = None
    framework_counts: dict[str, int] = field(default_factory=dict)
    test_roots: list[str] = field(default_factory=list)
    main_roots: list[str] = field(default_factory=list)
    naming_pattern: str = "{name}Test"
    naming_counts: dict[str, int] = field(default_factory=dict)
    assertion_library: str | None = None
    assertion_counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework,
            "framework_counts": dict(self.framework_counts),
            "test_roots": list(self.test_roots),
            "main_roots": list(self.main_roots),
            "naming_pattern": self.naming_pattern,
            "naming_counts": dict(self.naming_counts),
            "assertion_library": self.assertion_library,
            "assertion_counts": dict(self.assertion_counts),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestConventions:
        return cls(
            framework=data.get("framework"),
            framework_counts=dict(data.get("framework_counts", {})),
            test_roots=list(data.get("test_roots", [])),
            main_roots=list(data.get("main_roots", [])),
            naming_pattern=data.get("naming_pattern", "{name}Test"),
            naming_counts=dict(data.get("naming_counts", {})),
            assertion_library=data.get("assertion_library"),
            assertion_counts=dict(data.get("assertion_counts", {})),
        )

    def test_class_name(self, class_name: str) -> str:
        return self.naming_pattern.format(name=class_name)

    def _split_main(self, main_file: str) -> tuple[str, str]:
        """(main root, path inside it) of a production file; the longest matching known root wins."""
        main_file = main_file.replace("\\", "/").lstrip("/")
        for root in sorted(self.main_roots, key=len, reverse=True):
            if root and main_file.startswith(root + "/"):
                return root, main_file[len(root) + 1:]
        for marker in ("src/main/java/", "src/"):  # an unknown module: the usual Maven/Gradle layout
            index = main_file.find(marker)
            if index == 0 or (index > 0 and main_file[index - 1] == "/"):
                return main_file[: index + len(marker) - 1], main_file[index + len(marker):]
        return ("", main_file) if "" in self.main_roots else (posixpath.dirname(main_file), "")

    def test_root_for(self, main_root: str) -> str:
        """The test root paired with a main root: the mirrored one for a Maven-like layout (``main`` →
        ``test``), else the known test root sharing the longest path with it (ties: the most used), else
        ``src/test/java`` beside the main root."""
        parts = main_root.split("/") if main_root else []
        mirrored = "/".join("test" if p == "main" else p for p in parts)
        if "main" in parts:
            return mirrored

        def shared(root: str) -> int:
            common = posixpath.commonpath([root, main_root]) if root and main_root else ""
            return len(common.split("/")) if common else 0

        if self.test_roots:
            return max(self.test_roots, key=lambda root: (shared(root), -self.test_roots.index(root)))
        return posixpath.join(main_root, DEFAULT_TEST_ROOT) if main_root else DEFAULT_TEST_ROOT

    def test_path_for(self, main_file: str) -> str:
        """Where the test class of a production file belongs, repo-relative."""
        root, inner = self._split_main(main_file)
        directory, filename = posixpath.split(inner) if inner else ("", posixpath.basename(main_file))
        name = filename[:-5] if filename.endswith(".java") else filename
        test_file = f"{self.test_class_name(name)}.java"
        return posixpath.join(self.test_root_for(root), directory, test_file).lstrip("/")

    def existing_test_for(self, main_file: str, repo_root: str | Path) -> str | None:
        """An existing test file for ``main_file`` under any naming pattern (the mined one first)."""
        root, inner = self._split_main(main_file)
        directory, filename = posixpath.split(inner)
        name = filename[:-5] if filename.endswith(".java") else filename
        test_root = self.test_root_for(root)
        patterns = [self.naming_pattern, *(p for p in NAMING_PATTERNS if p != self.naming_pattern)]
        for pattern in patterns:
            candidate = posixpath.join(test_root, directory, pattern.format(name=name) + ".java")
            if (Path(repo_root) / candidate).is_file():
                return candidate
        return None

    def test_file_exists(self, main_file: str, repo_root: str | Path) -> bool:
        return (Path(repo_root) / self.test_path_for(main_file)).is_file()


@dataclass(frozen=True)
class TestClassFacts:
    """What conventions need to know about one mined test class."""

    __test__ = False

    file: str
    package: str
    framework: str
    assertion_libraries: tuple[str, ...]
    naming_pattern: str | None  # None when no focal class was found by name


def infer_conventions(
    test_classes: Iterable[TestClassFacts], main_files: Iterable[tuple[str, str]]
) -> TestConventions:
    """Conventions from the test classes and the (path, package) of production files."""
    frameworks: Counter[str] = Counter()
    naming: Counter[str] = Counter()
    assertions: Counter[str] = Counter()
    test_roots: Counter[str] = Counter()
    for facts in test_classes:
        frameworks[facts.framework] += 1
        if facts.naming_pattern:
            naming[facts.naming_pattern] += 1
        for library in facts.assertion_libraries:
            assertions[library] += 1
        test_roots[source_root(facts.file, facts.package)] += 1
    main_roots: Counter[str] = Counter(source_root(path, package) for path, package in main_files)
    return TestConventions(
        framework=_ranked(frameworks)[0] if frameworks else None,
        framework_counts=_counts(frameworks),
        test_roots=_ranked(test_roots),
        main_roots=_ranked(main_roots),
        naming_pattern=_ranked(naming)[0] if naming else "{name}Test",
        naming_counts=_counts(naming),
        assertion_library=_ranked(assertions)[0] if assertions else None,
        assertion_counts=_counts(assertions),
    )
