"""The project's own classes, compiled once per state of the working tree and cached on disk.

Validating five candidates must not compile the project five times: production and test sources are compiled
into ``<cache>/<module>/<state>/`` where the state is the git HEAD, ``git status`` and the size and time of every
changed file (or of every source file outside git), plus the classpath. Test sources that do not compile (a
broken test elsewhere in the project) are left out after up to three tries, so they do not block validation.
Builds go to a temporary sibling and are renamed into place, so concurrent validations never see half a build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from customizer.validation.classpath import ProjectClasspath
from customizer.validation.javac import Jdk, compile_sources, error_files, first_error

CACHE_ENV = "TESTTAILOR_CACHE"
KEEP_STATES = 3  # builds kept per module
_TEST_ROUNDS = 3


def default_cache_dir() -> Path:
    """``$TESTTAILOR_CACHE/validation`` or the platform's user cache folder."""
    base = os.environ.get(CACHE_ENV)
    return (Path(base).expanduser() if base else Path(platformdirs.user_cache_dir("testtailor"))) / "validation"


@dataclass
class CompiledProject:
    """Class directories to put on a candidate's classpath, most specific first."""

    main: Path | None  # None: the production sources did not compile (``main_error`` says why)
    test: Path | None
    main_error: str = ""
    skipped_tests: list[str] = field(default_factory=list)  # test sources left out because they do not compile
    cached: bool = False  # reused from an earlier validation


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.decode("utf-8", errors="replace") if done.returncode == 0 else ""


def _stamp(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def state_key(cp: ProjectClasspath, jdk: Jdk) -> str:
    """A hash of everything the compiled classes depend on."""
    digest = hashlib.sha256()
    head = _git(cp.module, "rev-parse", "HEAD").strip()
    status = _git(cp.module, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".") if head else ""
    parts = [jdk.javac, head, status]
    if head:
        top = Path(_git(cp.module, "rev-parse", "--show-toplevel").strip() or cp.module)
        for entry in filter(None, status.split("\0")):
            parts.append(_stamp(top / entry[3:]) if len(entry) > 3 else entry)
    else:
        for root in [*cp.main_sources, *cp.test_sources]:
            parts.extend(_stamp(p) for p in sorted(root.rglob("*.java")))
    parts.extend(str(p) for p in [*cp.main_sources, *cp.test_sources, *cp.main_outputs, *cp.libraries()])
    for part in parts:
        digest.update(part.encode("utf-8", errors="replace") + b"\0")
    return digest.hexdigest()[:24]


def _sources(roots: list[Path]) -> list[Path]:
    return sorted({p for root in roots for p in root.rglob("*.java") if p.name != "module-info.java"})


def compile_project(cp: ProjectClasspath, jdk: Jdk, cache_dir: Path | None = None,
                    timeout: float = 300.0) -> CompiledProject:
    """The module's production and test classes, from the cache when the working tree has not changed."""
    cache_dir = cache_dir or default_cache_dir()
    module_dir = cache_dir / hashlib.sha256(str(cp.module).encode()).hexdigest()[:16]
    target = module_dir / state_key(cp, jdk)
    done = _load(target)
    if done is not None:
        return done
    module_dir.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=module_dir))
    try:
        result = _build(cp, jdk, build, timeout)
        (build / "result.json").write_text(json.dumps({
            "main": result.main is not None, "test": result.test is not None, "main_error": result.main_error,
            "skipped_tests": result.skipped_tests}), encoding="utf-8")
        try:
            os.replace(build, target)
        except OSError:  # another validation finished the same state first
            shutil.rmtree(build, ignore_errors=True)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _prune(module_dir, keep=target)
    loaded = _load(target)
    assert loaded is not None
    loaded.cached = False
    return loaded


def _load(target: Path) -> CompiledProject | None:
    try:
        data = json.loads((target / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    os.utime(target)  # most recently used, for pruning
    return CompiledProject(main=target / "main" if data["main"] else None,
                           test=target / "test" if data["test"] else None, main_error=data["main_error"],
                           skipped_tests=list(data["skipped_tests"]), cached=True)


def _build(cp: ProjectClasspath, jdk: Jdk, build: Path, timeout: float) -> CompiledProject:
    main_sources = _sources(cp.main_sources)
    main: Path | None = build / "main"
    main_error = ""
    if main_sources:
        compiled = compile_sources(jdk, main_sources, build / "main", [*cp.libraries(), *cp.main_outputs], build,
                                   timeout)
        if compiled.returncode != 0:
            error = first_error(compiled.output)
            main_error = error.describe() if error else (compiled.output.strip()[-300:] or "javac failed")
            if compiled.timed_out:
                main_error = f"javac did not finish within {timeout:.0f} s"
            main = None
    else:
        (build / "main").mkdir()
    classes = [p for p in (main,) if p is not None]
    test_sources = _sources(cp.test_sources)
    skipped: list[str] = []
    test: Path | None = build / "test"
    for _ in range(_TEST_ROUNDS):
        if not test_sources:
            (build / "test").mkdir(exist_ok=True)
            break
        compiled = compile_sources(jdk, test_sources, build / "test",
                                   [*classes, *cp.main_outputs, *cp.test_outputs, *cp.libraries()], build, timeout)
        if compiled.returncode == 0:
            break
        broken = {Path(f).resolve() for f in error_files(compiled.output)}
        if not broken or compiled.timed_out:
            test = None
            break
        skipped += sorted(str(p) for p in broken)
        test_sources = [p for p in test_sources if p.resolve() not in broken]
        shutil.rmtree(build / "test", ignore_errors=True)
    else:
        test = None
    return CompiledProject(main=main, test=test, main_error=main_error, skipped_tests=skipped)


def _prune(module_dir: Path, keep: Path) -> None:
    states = sorted((p for p in module_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in states if p != keep][KEEP_STATES - 1:]:
        shutil.rmtree(old, ignore_errors=True)
