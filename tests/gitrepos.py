"""Small real git repositories of Java code for tests (importable from any test: ``pythonpath = tests``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent",
}

OPERATIONS = ["add", "subtract", "multiply", "max", "min", "negate", "square", "twice", "half", "inc", "dec",
              "abs"]
BODIES = {"add": "a + b", "subtract": "a - b", "multiply": "a * b", "max": "Math.max(a, b)",
          "min": "Math.min(a, b)", "negate": "-a", "square": "a * a", "twice": "2 * a", "half": "a / 2",
          "inc": "a + 1", "dec": "a - 1", "abs": "Math.abs(a)"}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True,
                          capture_output=True, text=True).stdout


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


def make_git_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def calculator_repo(root: Path) -> Path:
    """A git repository with one class of 12 methods and 24 JUnit 4 tests (two per method)."""
    return make_git_repo(root, {
        "src/main/java/org/example/Calculator.java": _calculator(),
        "src/test/java/org/example/CalculatorTest.java": _calculator_test(),
        "README.md": "calculator\n",
    })
