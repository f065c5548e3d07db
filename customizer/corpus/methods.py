"""Plain Java methods of a repository's non-test files: the denoising and tokenizer corpus."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MIN_LINES = 3
MAX_BYTES = 4096
_TEST_DIRS = frozenset({"test", "tests", "androidtest", "testfixtures", "testsuite", "testcases", "it"})
_TEST_NAME = re.compile(r"(^Test[A-Z0-9_].*|.*(Test|Tests|TestCase|IT)$)")


def is_test_path(path: str) -> bool:
    """True for files under a test folder or named like a test class (``FooTest``, ``TestFoo``, ``FooIT``)."""
    parts = path.replace("\\", "/").split("/")
    if any(part.lower() in _TEST_DIRS for part in parts[:-1]):
        return True
    stem = parts[-1].rsplit(".", 1)[0]
    return bool(_TEST_NAME.match(stem))


def keep_method(text: str) -> bool:
    """At least ``MIN_LINES`` lines and at most ``MAX_BYTES`` bytes of UTF-8."""
    return text.count("\n") + 1 >= MIN_LINES and len(text.encode("utf-8", errors="replace")) <= MAX_BYTES


def extract_methods(repo: Path, *, include_tests: bool = False) -> Iterator[dict[str, Any]]:
    """Yield one record per kept method of the repository's git-tracked ``.java`` files."""
    from customizer.java import list_methods, parse_java
    from customizer.mining.gitfiles import list_java_files

    files = list_java_files(repo)
    for source in files.sources:
        if not include_tests and is_test_path(source.path):
            continue
        parsed = parse_java(source.text, path=source.path)
        for method in list_methods(parsed):
            if not method.has_body or method.has_error or not keep_method(method.text):
                continue
            yield {
                "file": source.path,
                "class": method.class_name,
                "method": method.name,
                "signature": method.signature,
                "text": method.text,
            }
