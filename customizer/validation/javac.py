"""``javac`` and ``java`` invocations: finding the JDK, compiling a set of sources, and the compiler's first
error as one readable line (what a user needs to fix a candidate that does not compile)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from customizer.validation.sandbox import Completed, run_isolated

# Quick JVM start-up: compiling one test class or running one test method is dominated by it.
FAST_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto")
_ERROR_LINE = re.compile(r"^(?P<file>.+?\.java):(?P<line>\d+): error: (?P<message>.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Jdk:
    javac: str
    java: str


def find_jdk() -> Jdk | None:
    """``javac``/``java`` from ``$JAVA_HOME/bin`` or the PATH; None when no JDK is installed."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin/javac").is_file() and (Path(home) / "bin/java").is_file():
        return Jdk(str(Path(home) / "bin/javac"), str(Path(home) / "bin/java"))
    javac, java = shutil.which("javac"), shutil.which("java")
    return Jdk(javac, java) if javac and java else None


def join(paths: Sequence[Path]) -> str:
    return os.pathsep.join(str(p) for p in dict.fromkeys(paths))


@dataclass(frozen=True)
class CompileError:
    file: str
    line: int
    message: str  # the first error line plus its "symbol:" detail when javac gives one

    def describe(self) -> str:
        return f"{Path(self.file).name}:{self.line}: {self.message}"


def first_error(output: str) -> CompileError | None:
    match = _ERROR_LINE.search(output)
    if match is None:
        return None
    message = match.group("message").strip()
    following = output[match.end():].splitlines()[1:6]
    detail = next((" ".join(line.split()) for line in following
                   if line.strip().startswith(("symbol:", "required:"))), "")
    return CompileError(match.group("file"), int(match.group("line")),
                        f"{message} ({detail})" if detail else message)


def error_files(output: str) -> set[str]:
    """Every source file javac reported an error in."""
    return {m.group("file") for m in _ERROR_LINE.finditer(output)}


def compile_sources(jdk: Jdk, sources: Sequence[Path], out: Path, classpath: Sequence[Path], work: Path,
                    timeout: float) -> Completed:
    """``javac -d out`` over ``sources`` (through an @argfile: a project may have thousands of files)."""
    out.mkdir(parents=True, exist_ok=True)
    argfile = work / f"javac-{out.name}.args"
    argfile.write_text("\n".join(_quote(str(s)) for s in sources) + "\n", encoding="utf-8")
    argv = [jdk.javac, *(f"-J{flag}" for flag in FAST_JVM), "-encoding", "UTF-8", "-nowarn", "-Xmaxerrs", "20",
            "-implicit:none", "-d", str(out)]
    if classpath:
        argv += ["-cp", join(classpath)]
    return run_isolated([*argv, f"@{argfile}"], work, timeout)


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
