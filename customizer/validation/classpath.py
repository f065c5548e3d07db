"""Where a project's classes, sources and jars are: Maven, Gradle or a plain layout, offline only.

* Maven (``pom.xml``): ``target/classes`` and ``target/test-classes`` when built; the jars listed by an existing
  ``mvn dependency:build-classpath -Dmdep.outputFile=target/classpath.txt`` output if there is one, else the POM's
  dependencies resolved in ``~/.m2/repository`` (see :mod:`customizer.validation.maven`).
* Gradle (``build.gradle[.kts]``): ``build/classes/java/{main,test}`` and ``build/resources``; the declared
  dependencies resolved in ``~/.gradle/caches/modules-2`` and ``~/.m2``.
* Plain: the mined source roots plus the classpath the user gives (``--classpath`` / ``testtailor.classpath``).

When the project's classpath has no JUnit of a kind, Debian's jars (``/usr/share/java``, ``apt-get install junit5
junit4 libhamcrest-java``) fill in, and the JUnit Platform console launcher comes from the same places.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from customizer.errors import ClasspathError
from customizer.validation.gradle import build_files, gradle_dependencies
from customizer.validation.maven import (
    ArtifactStore,
    GradleCache,
    MavenLocalRepository,
    PomReader,
    default_maven_repository,
    newest,
    resolve_dependencies,
    resolve_pom_dependencies,
)

JUNIT_JAR_DIR_ENV = "JUNIT_JAR_DIR"  # the same variable scripts/check_example.sh reads
DEFAULT_JUNIT_JAR_DIR = Path("/usr/share/java")
MAVEN_CLASSPATH_FILES = ("target/classpath.txt", "classpath.txt", "target/cp.txt", "cp.txt")
_JUPITER = ("junit-jupiter-api", "junit-jupiter-params", "opentest4j", "apiguardian-api", "junit-platform-commons")
_JUNIT4 = ("junit4",)
_HAMCREST = ("hamcrest",)
_LAUNCHER_PARTS = ("junit-platform-console", "junit-platform-launcher", "junit-platform-engine",
                   "junit-platform-reporting", "junit-jupiter-engine", "junit-vintage-engine", *_JUPITER)


@dataclass
class ProjectClasspath:
    """Everything needed to compile and run one test class of a module."""

    build_system: str  # "maven", "gradle" or "plain"
    module: Path
    main_sources: list[Path] = field(default_factory=list)
    test_sources: list[Path] = field(default_factory=list)
    main_outputs: list[Path] = field(default_factory=list)  # the build tool's compiled classes, when present
    test_outputs: list[Path] = field(default_factory=list)
    resources: list[Path] = field(default_factory=list)
    jars: list[Path] = field(default_factory=list)  # the project's dependencies and user-given entries
    junit: list[Path] = field(default_factory=list)  # JUnit jars added because the project's lacked them
    launcher: list[Path] = field(default_factory=list)  # the JUnit Platform console launcher
    notes: list[str] = field(default_factory=list)

    def libraries(self) -> list[Path]:
        return [*self.jars, *self.junit]


def module_root(repo: Path, file: Path | None) -> Path:
    """The nearest directory from ``file`` up to ``repo`` with a ``pom.xml`` or Gradle build file."""
    repo = repo.resolve()
    start = (file if file is not None and file.is_dir() else (file.parent if file else repo)).resolve()
    for directory in (start, *start.parents):
        if not directory.is_relative_to(repo):
            break
        if (directory / "pom.xml").is_file() or build_files(directory):
            return directory
    return repo


def split_classpath(text: str, base: Path) -> list[Path]:
    """Entries of a classpath string (``:``/``;``/newline separated; relative to ``base``; ``dir/*`` = its jars)."""
    entries: list[Path] = []
    for raw in re.split(rf"[{re.escape(os.pathsep)}\n]", text):
        raw = raw.strip()
        if not raw:
            continue
        path = Path(raw).expanduser()
        path = path if path.is_absolute() else base / path
        if path.name == "*":
            entries.extend(sorted(Path(p) for p in glob.glob(str(path.parent / "*.jar"))))
        else:
            entries.append(path)
    return entries


def user_classpath(value: str | Sequence[str] | None, repo: Path) -> list[Path]:
    """The user's classpath entries; raises :class:`ClasspathError` naming the first one that does not exist."""
    if not value:
        return []
    text = value if isinstance(value, str) else os.pathsep.join(value)
    entries = split_classpath(text, repo)
    for entry in entries:
        if not entry.exists():
            raise ClasspathError(f"classpath entry {entry} does not exist; fix --classpath or the "
                                 f"testtailor.classpath setting (entries separated by '{os.pathsep}')")
    return entries


def _existing(paths: Sequence[Path]) -> list[Path]:
    return [p for p in dict.fromkeys(paths) if p.exists()]


def _roots(module: Path, repo: Path, given: Sequence[str], default: str) -> list[Path]:
    found = [repo / r for r in given if (repo / r).resolve().is_relative_to(module.resolve())]
    return _existing([module / default, *found]) if (module / default).is_dir() or not found else _existing(found)


def discover_classpath(repo: str | os.PathLike[str], file: str | os.PathLike[str] | None = None,
                       extra: str | Sequence[str] | None = None, main_roots: Sequence[str] = (),
                       test_roots: Sequence[str] = (), home: Path | None = None,
                       junit_dir: Path | None = None) -> ProjectClasspath:
    """The classpath of the module holding ``file`` (a test or focal file), without any network access.

    ``extra`` is the user-given classpath (added for every layout); ``main_roots``/``test_roots`` are the mined
    source roots (repository-relative); ``home`` stands for the user's home (``~/.m2``, ``~/.gradle``).
    """
    root = Path(repo).resolve()
    module = module_root(root, None if file is None else (root / file))
    home = home or Path.home()
    if (module / "pom.xml").is_file():
        cp = _maven(module, home)
    elif build_files(module):
        cp = _gradle(module, root, home)
    else:
        cp = ProjectClasspath(build_system="plain", module=module)
    cp.main_sources = _roots(module, root, main_roots, "src/main/java")
    cp.test_sources = _roots(module, root, test_roots, "src/test/java")
    cp.resources = _existing([module / "src/main/resources", module / "src/test/resources", *cp.resources])
    cp.jars = list(dict.fromkeys([*cp.jars, *user_classpath(extra, root)]))
    add_junit(cp, junit_dir or Path(os.environ.get(JUNIT_JAR_DIR_ENV) or DEFAULT_JUNIT_JAR_DIR), home)
    return cp


def _maven(module: Path, home: Path) -> ProjectClasspath:
    cp = ProjectClasspath(build_system="maven", module=module,
                          main_outputs=_existing([module / "target/classes"]),
                          test_outputs=_existing([module / "target/test-classes"]))
    for name in MAVEN_CLASSPATH_FILES:
        listed = module / name
        if listed.is_file():
            entries = split_classpath(listed.read_text(encoding="utf-8", errors="replace"), module)
            cp.jars = _existing(entries)
            if len(cp.jars) < len(entries):
                cp.notes.append(f"{len(entries) - len(cp.jars)} entries of {listed} are not on disk")
            return cp
    jars, missing = resolve_pom_dependencies(module / "pom.xml", [MavenLocalRepository(
        default_maven_repository(home))])
    cp.jars = jars
    if missing:
        cp.notes.append(f"not in ~/.m2 (never downloaded; build the project once with Maven): {', '.join(missing)}")
    return cp


def gradle_stores(home: Path) -> list[ArtifactStore]:
    gradle_home = Path(os.environ.get("GRADLE_USER_HOME") or home / ".gradle")
    return [GradleCache(gradle_home / "caches/modules-2/files-2.1"), MavenLocalRepository(
        default_maven_repository(home))]


def _gradle(module: Path, repo: Path, home: Path) -> ProjectClasspath:
    build = module / "build"
    cp = ProjectClasspath(build_system="gradle", module=module,
                          main_outputs=_existing([build / "classes/java/main", build / "classes/kotlin/main"]),
                          test_outputs=_existing([build / "classes/java/test", build / "classes/kotlin/test"]),
                          resources=_existing([build / "resources/main", build / "resources/test"]))
    jars, missing = resolve_dependencies(gradle_dependencies(module, repo), PomReader(gradle_stores(home)))
    cp.jars = jars
    if missing:
        cp.notes.append(f"not in Gradle's cache (never downloaded; build the project once with Gradle): "
                        f"{', '.join(missing)}")
    return cp


def _has(jars: Sequence[Path], prefix: str) -> bool:
    pattern = re.compile(rf"^{re.escape(prefix)}([-_.]\d.*)?\.jar$")
    return any(pattern.match(j.name) for j in jars)


def _debian(junit_dir: Path, names: Sequence[str]) -> list[Path]:
    return [junit_dir / f"{name}.jar" for name in names if (junit_dir / f"{name}.jar").is_file()]


def add_junit(cp: ProjectClasspath, junit_dir: Path, home: Path) -> None:
    """Fill in the JUnit kinds the project's classpath lacks from ``junit_dir``, and find a console launcher."""
    jars = cp.jars
    added: list[Path] = []
    if not _has(jars, "junit-jupiter-api"):
        added += _debian(junit_dir, _JUPITER)
    if not (_has(jars, "junit") or _has(jars, "junit4")):
        added += _debian(junit_dir, _JUNIT4)
    if not any(_has(jars, name) for name in ("hamcrest", "hamcrest-core", "hamcrest-all", "hamcrest-library")):
        added += _debian(junit_dir, _HAMCREST)
    cp.junit = [p for p in added if p not in jars]
    cp.launcher = _launcher(cp, junit_dir, home)
    if not cp.launcher:
        cp.notes.append(f"no JUnit Platform console launcher in {junit_dir} or ~/.m2 (apt-get install junit5)")


def _launcher(cp: ProjectClasspath, junit_dir: Path, home: Path) -> list[Path]:
    own = [j for j in cp.jars if j.name.startswith("junit-platform-console-standalone")]
    if own:
        return own[:1]
    api = next((j for j in cp.jars if re.match(r"junit-jupiter-api-\d", j.name)), None)
    if api is not None:  # the console launcher of the same JUnit release, if it is in ~/.m2
        version = api.stem.removeprefix("junit-jupiter-api-")
        platform = re.sub(r"^5\.", "1.", version)
        store = MavenLocalRepository(default_maven_repository(home))
        hit = store.find("org.junit.platform", "junit-platform-console-standalone", platform)
        if hit is not None:
            return [hit]
    standalone = junit_dir / "junit-platform-console-standalone.jar"
    if standalone.is_file():
        return [standalone]
    parts = _debian(junit_dir, _LAUNCHER_PARTS)
    if len(parts) == len(_LAUNCHER_PARTS):
        return parts
    store = MavenLocalRepository(default_maven_repository(home))
    version = newest(store.versions("org.junit.platform", "junit-platform-console-standalone"))
    hit = store.find("org.junit.platform", "junit-platform-console-standalone", version) if version else None
    return [hit] if hit is not None else []
