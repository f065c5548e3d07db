"""Gradle dependencies read from ``build.gradle``/``build.gradle.kts`` without running Gradle (which would
need the network and the project's plugins): string and map notations of the usual configurations, with
``$var``/``${var}`` taken from ``ext``/``val`` assignments and ``gradle.properties``. The jars are then resolved
offline, with their transitive dependencies, from Gradle's cache and ``~/.m2``.
"""

from __future__ import annotations

import re
from pathlib import Path

from customizer.validation.maven import Dependency

CONFIGURATIONS = ("implementation", "api", "compileOnly", "runtimeOnly", "compile", "runtime",
                  "testImplementation", "testCompileOnly", "testRuntimeOnly", "testCompile", "testRuntime",
                  "compileOnlyApi", "annotationProcessor", "testAnnotationProcessor")
_CONFIG = "|".join(CONFIGURATIONS)
_STRING_NOTATION = re.compile(rf"\b({_CONFIG})\s*\(?\s*(?:platform\s*\(\s*)?"
                              r"[\"']([^\"':\s]+):([^\"':\s]+)(?::([^\"':\s]*))?"
                              r"(?::([^\"'@\s]+))?(?:@\w+)?[\"']")
_MAP_NOTATION = re.compile(rf"\b({_CONFIG})\s*\(?\s*group\s*[:=]\s*[\"']([^\"']+)[\"']\s*,\s*name\s*[:=]\s*"
                           r"[\"']([^\"']+)[\"'](?:\s*,\s*version\s*[:=]\s*[\"']([^\"']+)[\"'])?")
_ASSIGNMENT = re.compile(r"""^\s*(?:ext\.|val\s+|def\s+|set\(\s*["'])?([A-Za-z_][\w.]*)["']?\s*[=,]\s*"""
                         r"""["']([^"'$]+)["']""", re.MULTILINE)
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][\w.]*)\}?")


def build_files(module: Path) -> list[Path]:
    return [p for p in (module / "build.gradle", module / "build.gradle.kts") if p.is_file()]


def _variables(module: Path, root: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for directory in dict.fromkeys((root, module)):
        props = directory / "gradle.properties"
        if props.is_file():
            for line in props.read_text(encoding="utf-8", errors="replace").splitlines():
                key, sep, value = line.partition("=")
                if sep and not key.strip().startswith("#"):
                    values[key.strip()] = value.strip()
        for build in build_files(directory):
            for name, value in _ASSIGNMENT.findall(build.read_text(encoding="utf-8", errors="replace")):
                values[name.removeprefix("ext.")] = value
    return values


def gradle_dependencies(module: Path, root: Path | None = None) -> list[Dependency]:
    """The module's declared dependencies (versions substituted; empty when only a BOM gives them)."""
    variables = _variables(module, root or module)

    def sub(value: str | None) -> str:
        return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), value or "")

    found: dict[tuple[str, str], Dependency] = {}
    for build in build_files(module):
        text = re.sub(r"//[^\n]*", "", build.read_text(encoding="utf-8", errors="replace"))
        for match in _STRING_NOTATION.finditer(text):
            config, group, artifact, version, classifier = match.groups()
            kind = "pom" if "platform" in match.group(0) else "jar"  # a BOM: versions only, no jar
            dep = Dependency(sub(group), sub(artifact), sub(version), _scope(config), kind, sub(classifier))
            found.setdefault(dep.key, dep)
        for match in _MAP_NOTATION.finditer(text):
            config, group, artifact, version = match.groups()
            dep = Dependency(sub(group), sub(artifact), sub(version), _scope(config))
            found.setdefault(dep.key, dep)
    return [d for d in found.values() if "$" not in d.group + d.artifact]


def _scope(configuration: str) -> str:
    return "test" if configuration.startswith("test") else "compile"
