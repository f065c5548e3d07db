"""The bundled example project (examples/shopkit): its size, its house style, and that its tests pass."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "examples" / "shopkit"
SCRIPT = ROOT / "scripts" / "check_example.sh"
JAR_DIR = Path("/usr/share/java")
NEEDED_JARS = ["junit-jupiter-api", "junit-jupiter-params", "opentest4j", "apiguardian-api",
               "junit-platform-commons"]

TEST_ANNOTATION = re.compile(r"^\s*@(Test|ParameterizedTest)\b", re.M)
TEST_METHOD = re.compile(r"^\s*@(?:Test|ParameterizedTest)\b(?:(?!\bvoid\b).)*?\bvoid\s+(\w+)\s*\(", re.S | re.M)
TYPE_DECL = re.compile(r"^public\s+(?:final\s+|abstract\s+)*(class|interface|enum|record)\s+(\w+)", re.M)


def _test_files() -> list[Path]:
    return sorted((PROJECT / "src" / "test" / "java").rglob("*Test.java"))


def _production_types() -> dict[str, str]:
    types = {}
    for path in (PROJECT / "src" / "main" / "java").rglob("*.java"):
        match = TYPE_DECL.search(path.read_text(encoding="utf-8"))
        assert match, f"no public type in {path}"
        types[match.group(2)] = match.group(1)
    return types


def test_example_has_enough_tests_and_production_classes():
    test_count = sum(len(TEST_ANNOTATION.findall(p.read_text(encoding="utf-8"))) for p in _test_files())
    classes = [name for name, kind in _production_types().items() if kind == "class"]
    assert test_count >= 150, test_count
    assert len(classes) >= 15, classes
    assert (PROJECT / "pom.xml").is_file()
    assert (PROJECT / "README.md").is_file()


def test_example_follows_house_style():
    production = _production_types()
    fixtures = PROJECT / "src/test/java/io/shopkit/testing"
    assert (fixtures / "Fixtures.java").is_file() and (fixtures / "ShopAssertions.java").is_file()
    unmapped = []
    for path in _test_files():
        text = path.read_text(encoding="utf-8")
        focal_class = path.stem[: -len("Test")]
        if focal_class != "ShopIntegration":
            assert focal_class in production, f"{path.name} has no production class"
            assert path.parent.relative_to(PROJECT / "src/test/java") == next(
                p.parent.relative_to(PROJECT / "src/main/java")
                for p in (PROJECT / "src/main/java").rglob(f"{focal_class}.java")), path
        names = TEST_METHOD.findall(text)
        assert names and len(names) == len(TEST_ANNOTATION.findall(text)), path
        for name in names:
            assert re.fullmatch(r"[a-z][A-Za-z0-9]*_[a-z][A-Za-z0-9]*_[a-z][A-Za-z0-9]*", name), name
            if focal_class == "ShopIntegration":
                unmapped.append(name)
        assert text.count("// given") == len(names), f"{path.name}: every test needs // given"
        assert "org.hamcrest" not in text and "org.assertj" not in text
    assert 5 <= len(unmapped) <= 15


def _javac_and_jars_available() -> tuple[bool, str]:
    if shutil.which("javac") is None or shutil.which("java") is None:
        return False, "javac/java not installed"
    missing = [j for j in NEEDED_JARS if not (JAR_DIR / f"{j}.jar").is_file()]
    if missing:
        return False, f"JUnit 5 jars missing in {JAR_DIR}: {missing} (apt-get install -y junit5)"
    return True, ""


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_example_project_compiles_and_all_tests_pass():
    ok, reason = _javac_and_jars_available()
    if not ok:
        pytest.skip(reason)
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    match = re.search(r"tests run: (\d+), passed: (\d+), failed: (\d+)", output)
    assert match, output[-2000:]
    run, passed, failed = map(int, match.groups())
    assert run >= 150 and passed == run and failed == 0, match.group(0)
    assert not list(PROJECT.rglob("*.class")), "build output leaked into examples/"
