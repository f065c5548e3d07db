"""Validate candidate tests in the user's project without touching the user's files.

For each candidate the test class as it would look after the edit (``TestEdit.final_text``, computed by
:mod:`customizer.placement`) is written to a scratch directory, compiled against the project's classes (compiled
once per working-tree state, see :mod:`customizer.validation.compiled_project`) and its libraries, and only the
new test method is run with the JUnit Platform console launcher, under a time limit, in a temporary working
directory, without network where the kernel allows it. Running project code is opt-in (``--validate``,
``testtailor.validate``): a test can do anything the user's own tests can.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from customizer.java.snippets import parses_as_method
from customizer.placement import TestEdit
from customizer.validation.classpath import ProjectClasspath, discover_classpath
from customizer.validation.compiled_project import CompiledProject, compile_project
from customizer.validation.javac import Jdk, compile_sources, find_jdk, first_error
from customizer.validation.junit_runner import run_test_method
from customizer.validation.outcome import Outcome, ValidationResult

DEFAULT_TEST_TIMEOUT = 20.0  # seconds for one test method, JVM start included
DEFAULT_COMPILE_TIMEOUT = 300.0  # seconds for compiling the project's sources once
DEFAULT_WORKERS = max(1, min(4, (os.cpu_count() or 2) // 2))  # candidates checked at once (each JVM is threaded)
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)


def _method_text(edit: TestEdit) -> str:
    lines = edit.final_text.splitlines()
    start_line, start_col, end_line, end_col = edit.test_range
    if start_line == end_line:
        return lines[start_line][start_col:end_col]
    return "\n".join([lines[start_line][start_col:], *lines[start_line + 1:end_line], lines[end_line][:end_col]])


class Validator:
    """Validates candidates for one repository; reuses its classpath and compiled classes across candidates."""

    def __init__(self, repo: str | os.PathLike[str], classpath: str | Sequence[str] | None = None,
                 cache_dir: str | os.PathLike[str] | None = None, main_roots: Sequence[str] = (),
                 test_roots: Sequence[str] = (), test_timeout: float = DEFAULT_TEST_TIMEOUT,
                 compile_timeout: float = DEFAULT_COMPILE_TIMEOUT, home: Path | None = None,
                 junit_dir: Path | None = None, workers: int = DEFAULT_WORKERS) -> None:
        self.repo = Path(repo).resolve()
        self.classpath = classpath
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.main_roots, self.test_roots = list(main_roots), list(test_roots)
        self.test_timeout, self.compile_timeout = test_timeout, compile_timeout
        self.home, self.junit_dir = home, junit_dir
        self.workers = max(1, workers)
        self.jdk: Jdk | None = find_jdk()
        self._classpaths: dict[Path, ProjectClasspath] = {}
        self._build_lock = threading.Lock()  # one build of the project, however many candidates wait for it

    def validate_edits(self, edits: Sequence[TestEdit]) -> list[ValidationResult]:
        """:meth:`validate_edit` for each edit (``workers`` at a time), results in the order of ``edits``."""
        if self.workers == 1 or len(edits) < 2:
            return [self.validate_edit(edit) for edit in edits]
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="testtailor-validate") as pool:
            return list(pool.map(self.validate_edit, edits))

    def project_classpath(self, test_file: Path) -> ProjectClasspath:
        """The classpath of the module holding ``test_file`` (raises ClasspathError for a bad user entry)."""
        cp = discover_classpath(self.repo, test_file, self.classpath, self.main_roots, self.test_roots, self.home,
                                self.junit_dir)
        with self._build_lock:
            return self._classpaths.setdefault(cp.module, cp)

    def validate_edit(self, edit: TestEdit) -> ValidationResult:
        """Classify one placed candidate: not_parsing / not_compiling / failing / passing / timeout (or
        unchecked when validation cannot run here, with the reason)."""
        start = time.monotonic()
        test_class_name = edit.path.stem
        package = (match.group(1) if (match := _PACKAGE.search(edit.final_text)) else "")
        fqn = f"{package}.{test_class_name}" if package else test_class_name

        def result(outcome: Outcome, message: str = "", isolated: bool = False) -> ValidationResult:
            return ValidationResult(outcome, message, isolated, time.monotonic() - start, fqn, edit.method_name)

        if not parses_as_method(_method_text(edit)):
            return result(Outcome.NOT_PARSING, "the candidate is not a complete Java method")
        if edit.framework == "testng":
            return result(Outcome.UNCHECKED, "TestNG tests are not run yet; only JUnit 3/4/5 tests are validated")
        if self.jdk is None:
            return result(Outcome.UNCHECKED, "no JDK found (install one, e.g. apt-get install default-jdk-headless, "
                                             "or set JAVA_HOME)")
        cp = self.project_classpath(edit.path)
        if not cp.launcher:
            return result(Outcome.UNCHECKED, "; ".join(cp.notes) or "no JUnit Platform console launcher found")
        with self._build_lock:
            compiled = compile_project(cp, self.jdk, self.cache_dir, self.compile_timeout)
        if compiled.main is None and not cp.main_outputs:
            return result(Outcome.UNCHECKED, f"the project's own sources do not compile ({compiled.main_error}); "
                                             "build it once or give its classpath (--classpath)")
        with tempfile.TemporaryDirectory(prefix="testtailor-validate-") as scratch:
            work = Path(scratch)
            source = work / "src" / Path(*package.split(".")) / f"{test_class_name}.java" if package else \
                work / "src" / f"{test_class_name}.java"
            source.parent.mkdir(parents=True, exist_ok=True)
            source.write_text(edit.final_text, encoding="utf-8")
            project = self._project_entries(cp, compiled)
            built = compile_sources(self.jdk, [source], work / "classes", project, work, self.compile_timeout)
            if built.returncode != 0:
                error = first_error(built.output)
                message = self._located(error.line, error.message, edit) if error else built.output.strip()[-300:]
                if compiled.test is None or compiled.skipped_tests:  # the project's fault, not the candidate's?
                    left_out = "all" if compiled.test is None else str(len(compiled.skipped_tests))
                    message += f" ({left_out} of the project's test sources do not compile and were left out)"
                return result(Outcome.NOT_COMPILING, message, built.isolated)
            run = run_test_method(self.jdk, cp.launcher, [work / "classes", *project], fqn, edit.method_name, work,
                                  self.test_timeout)
            message = run.message if run.isolated else \
                f"{run.message}{'; ' if run.message else ''}ran with network access (unshare -n is not available)"
            return result(run.outcome, message, run.isolated)

    @staticmethod
    def _project_entries(cp: ProjectClasspath, compiled: CompiledProject) -> list[Path]:
        own = [p for p in (compiled.test, compiled.main) if p is not None]
        return [*own, *cp.test_outputs, *cp.main_outputs, *cp.resources, *cp.libraries()]

    @staticmethod
    def _located(line: int, message: str, edit: TestEdit) -> str:
        first, last = edit.test_range[0] + 1, edit.test_range[2] + 1
        where = f"line {line - first + 1} of the test" if first <= line <= last else f"{edit.path.name}:{line}"
        return f"{where}: {message}"
