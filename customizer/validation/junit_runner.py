"""Run one test method with the JUnit Platform console launcher and read what happened from its XML report.

The launcher runs JUnit 5 tests, and JUnit 4/3 ones through the vintage engine it bundles. When the launcher is
a standalone jar from elsewhere (Debian's), the project's own JUnit Platform jars are left off the run classpath:
two Jupiter engines on one classpath make the launcher refuse to start.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from customizer.validation.javac import FAST_JVM, Jdk, join
from customizer.validation.outcome import Outcome
from customizer.validation.sandbox import run_isolated

LAUNCHER_MAIN = "org.junit.platform.console.ConsoleLauncher"
_BUNDLED = re.compile(r"^(junit-jupiter|junit-platform|junit-vintage|opentest4j|apiguardian)")
_MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    message: str
    isolated: bool


def run_classpath(launcher: Sequence[Path], project: Sequence[Path]) -> list[Path]:
    """Launcher first, then the project's entries minus the JUnit Platform jars the launcher brings itself."""
    if any(p in project for p in launcher):
        return [*launcher, *(p for p in project if p not in launcher)]
    return [*launcher, *(p for p in project if not (p.suffix == ".jar" and _BUNDLED.match(p.name)))]


def run_test_method(jdk: Jdk, launcher: Sequence[Path], classpath: Sequence[Path], test_class: str, method: str,
                    work: Path, timeout: float) -> RunResult:
    """Run ``test_class#method`` only, for at most ``timeout`` seconds, in ``work`` (a scratch directory)."""
    reports = work / "reports"
    argv = [jdk.java, *FAST_JVM, "-Xmx1g", "-Djava.awt.headless=true", f"-Djava.io.tmpdir={work}",
            "-cp", join(run_classpath(launcher, classpath)), LAUNCHER_MAIN,
            "--disable-banner", "--disable-ansi-colors", "--details=tree", "--fail-if-no-tests",
            f"--select-method={test_class}#{method}", f"--reports-dir={reports}"]
    done = run_isolated(argv, work, timeout)
    if done.timed_out:
        return RunResult(Outcome.TIMEOUT, f"{method} did not finish within {timeout:g} s", done.isolated)
    cases = _testcases(reports)
    failures = [problem for _, problem in cases if problem is not None]
    if done.returncode == 0 and cases and not failures:
        return RunResult(Outcome.PASSING, "", done.isolated)
    if failures:
        return RunResult(Outcome.FAILING, failures[0], done.isolated)
    if not cases and done.returncode == 2:
        message = f"no test ran: {method} was not found as a test of {test_class}"
    else:
        message = _tail(done.output) or f"the test launcher exited with code {done.returncode}"
    return RunResult(Outcome.FAILING, message, done.isolated)


def _testcases(reports: Path) -> list[tuple[str, str | None]]:
    """(name, failure text or None) of each test case in the launcher's legacy XML reports."""
    found: list[tuple[str, str | None]] = []
    for report in sorted(reports.glob("TEST-*.xml")) if reports.is_dir() else ():
        try:
            root = ElementTree.parse(report).getroot()
        except (OSError, ElementTree.ParseError):
            continue
        for case in root.iter("testcase"):
            problem = next((child for child in case if child.tag in ("failure", "error")), None)
            found.append((case.get("name", ""), None if problem is None else _problem_text(problem)))
    return found


def _problem_text(problem: ElementTree.Element) -> str:
    message = (problem.get("message") or "").strip()
    kind = (problem.get("type") or "").rsplit(".", 1)[-1]
    if not message:
        message = (problem.text or "").strip().splitlines()[0] if (problem.text or "").strip() else ""
    text = f"{kind}: {message}" if kind and message else (message or kind or "failed")
    return text[:_MESSAGE_LIMIT]


def _tail(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return " ".join(line.strip() for line in lines[-3:])[:_MESSAGE_LIMIT]
