"""Small real git repositories of Java code for tests (importable from any test: ``pythonpath = tests``).

The one place tests build git repositories: ``git`` (fixed identity and dates, no user or system config),
``write_files``, ``commit_all`` (init + add + commit a folder that already holds files), ``make_git_repo``,
``repo_maker`` (a fixture's factory) and ``shopkit_repo`` (a committed copy of the example project).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}

SHOPKIT = Path(__file__).resolve().parent.parent / "examples" / "shopkit"

MakeRepo = Callable[..., Path]
"""``make(files, name=None, commit=True) -> Path``: what ``repo_maker`` returns."""

OPERATIONS = ["add", "subtract", "multiply", "max", "min", "negate", "square", "twice", "half", "inc", "dec",
              "abs"]
BODIES = {"add": "a + b", "subtract": "a - b", "multiply": "a * b", "max": "Math.max(a, b)",
          "min": "Math.min(a, b)", "negate": "-a", "square": "a * a", "twice": "2 * a", "half": "a / 2",
          "inc": "a + 1", "dec": "a - 1", "abs": "Math.abs(a)"}


def git(root: Path, *args: str) -> str:
    """Run ``git args`` in ``root`` with a fixed identity and dates; its stdout."""
    return subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True,
                          capture_output=True, text=True).stdout


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write ``files`` (repository-relative path → text or bytes) below ``root``, creating folders."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def commit_all(root: Path, message: str = "init") -> Path:
    """Make the existing folder ``root`` a git repository (branch ``main``) with everything in one commit."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return root


def make_git_repo(root: Path, files: Mapping[str, str | bytes], commit: bool = True) -> Path:
    """A fresh git repository at ``root`` (which must not exist yet) holding ``files``, committed unless
    ``commit`` is false (then initialized only: nothing staged)."""
    root.mkdir(parents=True)
    write_files(root, files)
    if commit:
        return commit_all(root)
    git(root, "init", "-q", "-b", "main")
    return root


def shopkit_repo(root: Path) -> Path:
    """A copy of the bundled example project (examples/shopkit) at ``root``, committed in its own repository."""
    shutil.copytree(SHOPKIT, root)
    return commit_all(root)


def repo_maker(parent: Path) -> MakeRepo:
    """``make(files, name=None, commit=True)``: a fresh repository (``make_git_repo``) below ``parent``, named
    ``name`` or ``repo1``, ``repo2``, … in the order made."""
    counter = 0

    def make(files: Mapping[str, str | bytes], name: str | None = None, commit: bool = True) -> Path:
        nonlocal counter
        counter += 1
        return make_git_repo(parent / (name or f"repo{counter}"), files, commit=commit)

    return make


def _calculator() -> str:
    methods = "\n".join(f"    public int {op}(int a, int b) {{\n        return {BODIES[op]};\n    }}\n"
                        for op in OPERATIONS)
    return f"package org.example;\n\npublic class Calculator {{\n    private int memory;\n\n{methods}}}\n"


def _calculator_test() -> str:
    tests = "\n".join(
        f"    @Test\n    public void test{op.capitalize()}{n}() {{\n        Calculator calc = new Calculator();\n"
        f"        assertEquals({n}, calc.{op}({n}, {n}));\n    }}\n"
        for op in OPERATIONS for n in (1, 2))
    return ("package org.example;\n\nimport org.junit.Test;\nimport static org.junit.Assert.assertEquals;\n\n"
            f"public class CalculatorTest {{\n{tests}}}\n")


def calculator_repo(root: Path) -> Path:
    """A git repository with one class of 12 methods and 24 JUnit 4 tests (two per method)."""
    return make_git_repo(root, {
        "src/main/java/org/example/Calculator.java": _calculator(),
        "src/test/java/org/example/CalculatorTest.java": _calculator_test(),
        "README.md": "calculator\n",
    })
