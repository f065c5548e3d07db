"""Maven dependencies resolved offline: read ``pom.xml`` (with its parents, properties, dependency management
and imported BOMs) and find the jars in a local artifact store (``~/.m2/repository`` or Gradle's cache).

Nothing is ever downloaded: an artifact that is not on disk is reported as missing. Transitive dependencies
follow Maven's rules closely enough for compiling a test (compile/runtime scopes, optional and excluded ones
skipped, nearest declaration wins); version ranges and missing versions take the newest version present locally.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_MAX_ARTIFACTS = 1000


class ArtifactStore(Protocol):
    """A local directory of artifacts laid out by coordinates."""

    def find(self, group: str, artifact: str, version: str, ext: str = "jar", classifier: str = "") -> Path | None:
        ...

    def versions(self, group: str, artifact: str) -> list[str]: ...


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", version))


def newest(versions: Iterable[str]) -> str | None:
    """The highest version by numeric parts (a qualifier sorts after the plain release it follows)."""
    return max(versions, key=_version_key, default=None)


@dataclass(frozen=True)
class MavenLocalRepository:
    """``~/.m2/repository``: ``group/as/path/artifact/version/artifact-version[-classifier].ext``."""

    root: Path

    def _dir(self, group: str, artifact: str) -> Path:
        return self.root.joinpath(*group.split("."), artifact)

    def find(self, group: str, artifact: str, version: str, ext: str = "jar", classifier: str = "") -> Path | None:
        suffix = f"-{classifier}" if classifier else ""
        path = self._dir(group, artifact) / version / f"{artifact}-{version}{suffix}.{ext}"
        return path if path.is_file() else None

    def versions(self, group: str, artifact: str) -> list[str]:
        base = self._dir(group, artifact)
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


@dataclass(frozen=True)
class GradleCache:
    """``~/.gradle/caches/modules-2/files-2.1``: ``group/artifact/version/<sha1>/artifact-version.ext``."""

    root: Path

    def find(self, group: str, artifact: str, version: str, ext: str = "jar", classifier: str = "") -> Path | None:
        suffix = f"-{classifier}" if classifier else ""
        base = self.root / group / artifact / version
        hits = sorted(base.glob(f"*/{artifact}-{version}{suffix}.{ext}")) if base.is_dir() else []
        return hits[0] if hits else None

    def versions(self, group: str, artifact: str) -> list[str]:
        base = self.root / group / artifact
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def default_maven_repository(home: Path | None = None) -> Path:
    """``~/.m2/repository``, or the ``<localRepository>`` of ``~/.m2/settings.xml``."""
    home = home or Path.home()
    settings = home / ".m2" / "settings.xml"
    if settings.is_file():
        match = re.search(r"<localRepository>\s*([^<]+?)\s*</localRepository>",
                          settings.read_text(encoding="utf-8", errors="replace"))
        if match:
            return Path(match.group(1).replace("${user.home}", str(home))).expanduser()
    return home / ".m2" / "repository"


@dataclass(frozen=True)
class Dependency:
    group: str
    artifact: str
    version: str = ""
    scope: str = "compile"
    type: str = "jar"
    classifier: str = ""
    optional: bool = False
    exclusions: frozenset[tuple[str, str]] = frozenset()

    @property
    def key(self) -> tuple[str, str]:
        return self.group, self.artifact


@dataclass
class Pom:
    """One POM with its parents merged in and its properties substituted."""

    group: str
    artifact: str
    version: str
    properties: dict[str, str] = field(default_factory=dict)
    managed: dict[tuple[str, str], Dependency] = field(default_factory=dict)
    dependencies: list[Dependency] = field(default_factory=list)


def _strip_namespaces(root: ElementTree.Element) -> ElementTree.Element:
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def _text(element: ElementTree.Element | None, tag: str) -> str:
    child = element.find(tag) if element is not None else None
    return (child.text or "").strip() if child is not None else ""


def _dependencies(parent: ElementTree.Element | None) -> list[Dependency]:
    found = []
    for dep in parent.findall("dependency") if parent is not None else ():
        exclusions = frozenset((_text(e, "groupId"), _text(e, "artifactId"))
                               for e in dep.findall("exclusions/exclusion"))
        found.append(Dependency(group=_text(dep, "groupId"), artifact=_text(dep, "artifactId"),
                                version=_text(dep, "version"), scope=_text(dep, "scope") or "",
                                type=_text(dep, "type") or "jar", classifier=_text(dep, "classifier"),
                                optional=_text(dep, "optional") == "true", exclusions=exclusions))
    return found


class PomReader:
    """Reads effective POMs from files and artifact stores, caching each by coordinates."""

    def __init__(self, stores: Sequence[ArtifactStore]) -> None:
        self.stores = list(stores)
        self._cache: dict[tuple[str, str, str], Pom | None] = {}

    def locate(self, group: str, artifact: str, version: str, ext: str = "jar", classifier: str = "") -> Path | None:
        for store in self.stores:
            if (hit := store.find(group, artifact, version, ext, classifier)) is not None:
                return hit
        return None

    def local_versions(self, group: str, artifact: str) -> list[str]:
        return sorted({v for store in self.stores for v in store.versions(group, artifact)}, key=_version_key)

    def from_store(self, group: str, artifact: str, version: str) -> Pom | None:
        key = (group, artifact, version)
        if key not in self._cache:
            self._cache[key] = None  # a cycle of parents ends here
            path = self.locate(group, artifact, version, "pom")
            self._cache[key] = self.from_file(path) if path is not None else None
        return self._cache[key]

    def from_file(self, path: Path) -> Pom | None:
        try:
            root = _strip_namespaces(ElementTree.parse(path).getroot())
        except (OSError, ElementTree.ParseError):
            return None
        parent_el = root.find("parent")
        parent: Pom | None = None
        if parent_el is not None:
            coords = (_text(parent_el, "groupId"), _text(parent_el, "artifactId"), _text(parent_el, "version"))
            relative = path.parent / (_text(parent_el, "relativePath") or "../pom.xml")
            relative = relative / "pom.xml" if relative.is_dir() else relative
            if relative.is_file() and relative.resolve() != path.resolve():
                local = self.from_file(relative)
                parent = local if local is not None and (local.group, local.artifact) == coords[:2] else None
            parent = parent or self.from_store(*coords)
        group = _text(root, "groupId") or (parent.group if parent else _text(parent_el, "groupId"))
        version = _text(root, "version") or (parent.version if parent else _text(parent_el, "version"))
        pom = Pom(group=group, artifact=_text(root, "artifactId"), version=version)
        if parent is not None:
            pom.properties.update(parent.properties)
            pom.managed.update(parent.managed)
            pom.dependencies.extend(parent.dependencies)
        properties_el = root.find("properties")
        for prop in properties_el if properties_el is not None else ():
            if isinstance(prop.tag, str):
                pom.properties[prop.tag] = (prop.text or "").strip()
        pom.properties.update({"project.groupId": group, "project.artifactId": pom.artifact,
                               "project.version": version, "pom.version": version, "version": version})
        if parent is not None:
            pom.properties.update({"project.parent.version": parent.version, "project.parent.groupId": parent.group})
        for dep in _dependencies(root.find("dependencyManagement/dependencies")):
            dep = self._interpolate(dep, pom.properties)
            if dep.scope == "import" and dep.type == "pom":
                bom = self.from_store(dep.group, dep.artifact, dep.version)
                for key, managed in (bom.managed if bom else {}).items():
                    pom.managed.setdefault(key, managed)
            else:
                pom.managed[dep.key] = dep
        own = [self._interpolate(d, pom.properties) for d in _dependencies(root.find("dependencies"))]
        keys = {d.key for d in own}
        pom.dependencies = [d for d in pom.dependencies if d.key not in keys] + own
        return pom

    @staticmethod
    def _interpolate(dep: Dependency, properties: dict[str, str]) -> Dependency:
        def sub(value: str) -> str:
            for _ in range(5):
                replaced = _PROPERTY.sub(lambda m: properties.get(m.group(1), m.group(0)), value)
                if replaced == value:
                    break
                value = replaced
            return value

        return Dependency(sub(dep.group), sub(dep.artifact), sub(dep.version), dep.scope, sub(dep.type),
                          sub(dep.classifier), dep.optional, dep.exclusions)


_TRANSITIVE_SCOPES = {"": "compile", "compile": "compile", "runtime": "runtime"}


def resolve_pom_dependencies(pom_path: Path, stores: Sequence[ArtifactStore],
                             include_test: bool = True) -> tuple[list[Path], list[str]]:
    """The jars a module's tests compile and run against, from local stores only: (jars found, ones missing).

    ``missing`` names ``group:artifact:version`` of direct and transitive dependencies not on disk.
    """
    reader = PomReader(stores)
    project = reader.from_file(pom_path)
    if project is None:
        return [], [f"{pom_path} (unreadable)"]
    wanted = {"", "compile", "runtime", "provided", "system", *(["test"] if include_test else [])}
    return resolve_dependencies([d for d in project.dependencies if d.scope in wanted], reader, project)


def resolve_dependencies(direct: Sequence[Dependency], reader: PomReader,
                         project: Pom | None = None) -> tuple[list[Path], list[str]]:
    """Direct dependencies and their transitive compile/runtime ones, breadth first (nearest wins)."""
    project = project or Pom(group="", artifact="", version="")
    queue: deque[tuple[Dependency, Pom, frozenset[tuple[str, str]]]] = deque(
        (d, project, d.exclusions) for d in direct)
    seen: set[tuple[str, str]] = {(project.group, project.artifact)}
    jars: list[Path] = []
    missing: list[str] = []
    while queue and len(seen) < _MAX_ARTIFACTS:
        dep, owner, excluded = queue.popleft()
        if dep.key in seen or dep.type not in ("jar", "test-jar", "bundle", "") or not dep.group:
            continue
        seen.add(dep.key)
        version = _pick_version(reader, dep, owner, project)
        classifier = dep.classifier or ("tests" if dep.type == "test-jar" else "")
        jar = reader.locate(dep.group, dep.artifact, version, "jar", classifier) if version else None
        if jar is None:  # another release of the same major version on disk beats none for compiling a test
            major = re.split(r"[.\-]", version)[0] if version else ""
            for other in reversed(reader.local_versions(dep.group, dep.artifact)):
                if major and re.split(r"[.\-]", other)[0] != major:
                    continue
                if (jar := reader.locate(dep.group, dep.artifact, other, "jar", classifier)) is not None:
                    version = other
                    break
        if jar is None:
            missing.append(f"{dep.group}:{dep.artifact}:{version or '?'}")
            continue
        jars.append(jar)
        pom = reader.from_store(dep.group, dep.artifact, version)
        for child in pom.dependencies if pom is not None else ():
            if child.optional or child.scope not in _TRANSITIVE_SCOPES or child.key in excluded:
                continue
            if child.key not in seen:
                queue.append((child, pom, excluded | dep.exclusions | child.exclusions))
    return jars, missing


def _pick_version(reader: PomReader, dep: Dependency, owner: Pom, project: Pom) -> str:
    """Maven's choice: the project's dependency management wins for transitive dependencies, the declared
    version for direct ones; a range or a missing version takes the newest version on disk."""
    managed = project.managed.get(dep.key) or owner.managed.get(dep.key)
    version = managed.version if managed is not None and managed.version and owner is not project else dep.version
    version = version or (managed.version if managed is not None else "")
    if version and not version.startswith(("[", "(")) and "${" not in version:
        return version
    return newest(reader.local_versions(dep.group, dep.artifact)) or ""
