"""Placement of a generated test: file choice, framework normalisation, imports, name clashes, safety."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from customizer.errors import JavaSyntaxError, StorageError
from customizer.java.parser import parse_java
from customizer.mining.conventions import TestConventions
from customizer.placement import (
    TestEdit,
    UnsafeTestPathError,
    apply_edit,
    find_repo_root,
    normalize_test_method,
    place_test,
)


def Conventions(framework: str | None = "junit5", assertion_library: str | None = "junit") -> TestConventions:
    return TestConventions(framework=framework, assertion_library=assertion_library,
                           test_roots=["src/test/java"], main_roots=["src/main/java"])


@dataclass
class Method:
    name: str = "add"
    package: str = "org.x"


FOCAL = "src/main/java/org/x/Calc.java"
GENERATED = "@Test public void testAdd() { assertEquals(3, new Calc().add(1, 2)); }"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    focal = tmp_path / FOCAL
    focal.parent.mkdir(parents=True)
    focal.write_text("package org.x;\n\npublic class Calc {\n    public int add(int a, int b) { return a + b; }\n}\n")
    return tmp_path


def write_test(repo: Path, text: str, rel: str = "src/test/java/org/x/CalcTest.java") -> Path:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def assert_valid_java(text: str) -> None:
    assert not parse_java(text).has_error, text


def method_text(edit: TestEdit) -> str:
    sl, sc, el, ec = edit.test_range
    lines = edit.final_text.splitlines()
    if sl == el:
        return lines[sl][sc:ec]
    return "\n".join([lines[sl][sc:], *lines[sl + 1 : el], lines[el][:ec]])


@pytest.mark.parametrize(("framework", "annotation", "asserts", "declaration"), [
    ("junit5", "import org.junit.jupiter.api.Test;", "import static org.junit.jupiter.api.Assertions.assertEquals;",
     "class CalcTest {"),
    ("junit4", "import org.junit.Test;", "import static org.junit.Assert.assertEquals;", "public class CalcTest {"),
    ("testng", "import org.testng.annotations.Test;", "import static org.testng.Assert.assertEquals;",
     "public class CalcTest {"),
])
def test_new_file_per_framework(repo: Path, framework: str, annotation: str, asserts: str,
                                declaration: str) -> None:
    edit = place_test(repo, Conventions(framework=framework), FOCAL, Method(), GENERATED)
    assert edit.created and edit.path == (repo / "src/test/java/org/x/CalcTest.java").resolve()
    assert edit.new_text == edit.final_text
    text = edit.final_text
    assert text.startswith("package org.x;\n\n" + annotation + "\n" + asserts + "\n\n" + declaration)
    assert "    @Test public void testAdd()" in text and text.endswith("}\n")
    assert_valid_java(text)
    assert method_text(edit) == GENERATED


def test_new_file_junit3_extends_testcase_without_annotation(repo: Path) -> None:
    edit = place_test(repo, Conventions(framework="junit3"), FOCAL, Method(), "@Test void add() { assertTrue(true); }")
    text = edit.final_text
    assert "import junit.framework.TestCase;" in text and "extends TestCase" in text
    assert "@Test" not in text and "import static" not in text
    assert edit.method_name == "testAdd" and "public void testAdd()" in text
    assert_valid_java(text)


def test_adds_missing_test_annotation_and_public_for_junit4(repo: Path) -> None:
    edit = place_test(repo, Conventions(framework="junit4"), FOCAL, Method(), "void testAdd() { assertTrue(x); }")
    assert "@Test\n    public void testAdd()" in edit.final_text
    assert "import org.junit.Test;" in edit.final_text
    assert "import static org.junit.Assert.assertTrue;" in edit.final_text


def test_statements_only_become_a_test_method(repo: Path) -> None:
    edit = place_test(repo, Conventions(), FOCAL, Method(), "assertEquals(3, new Calc().add(1, 2));")
    assert edit.method_name == "testAdd"
    expected = "@Test\n    public void testAdd() {\n        assertEquals(3, new Calc().add(1, 2));\n    }"
    assert expected in edit.final_text
    assert_valid_java(edit.final_text)


@pytest.mark.parametrize(("library", "expected"), [
    ("assertj", "import static org.assertj.core.api.Assertions.assertThat;"),
    ("hamcrest", "import static org.hamcrest.MatcherAssert.assertThat;"),
    ("truth", "import static com.google.common.truth.Truth.assertThat;"),
])
def test_assertion_library_decides_assert_that(repo: Path, library: str, expected: str) -> None:
    text = '@Test void testAdd() { assertThat(calc.add(1, 2)).isEqualTo(3); assertThat("x(y)"); }'
    edit = place_test(repo, Conventions(assertion_library=library), FOCAL, Method(), text)
    assert expected in edit.final_text
    assert edit.final_text.count("assertThat;") == 1
    assert "jupiter.api.Assertions.assertThat" not in edit.final_text


def test_hamcrest_matchers_are_imported(repo: Path) -> None:
    text = "@Test void testAdd() { assertThat(calc.add(1, 2), is(equalTo(3))); }"
    edit = place_test(repo, Conventions(framework="junit4", assertion_library="hamcrest"), FOCAL, Method(), text)
    assert "import static org.hamcrest.Matchers.is;" in edit.final_text
    assert "import static org.hamcrest.Matchers.equalTo;" in edit.final_text


EXISTING_JUNIT4 = """package org.x;

import org.junit.Test;
import static org.junit.Assert.*;

public class CalcTest {
    private final Calc calc = new Calc();

    @Test
    public void testAdd() {
        assertEquals(2, calc.add(1, 1));
    }
}
"""


def test_existing_file_insertion_before_closing_brace(repo: Path) -> None:
    write_test(repo, EXISTING_JUNIT4)
    # conventions say junit5, but the file is JUnit 4: the file wins
    edit = place_test(repo, Conventions(framework="junit5"), FOCAL, Method(), GENERATED)
    assert not edit.created and edit.framework == "junit4"
    assert edit.import_insertions == ()  # @Test imported, assertEquals covered by the wildcard
    assert edit.method_name == "testAdd2"
    assert (edit.insert_line, edit.insert_col) == (12, 0)
    assert edit.insert_text == "\n    @Test public void testAdd2() { assertEquals(3, new Calc().add(1, 2)); }\n"
    assert edit.final_text.endswith(
        "    }\n\n    @Test public void testAdd2() { assertEquals(3, new Calc().add(1, 2)); }\n}\n")
    assert method_text(edit) == "@Test public void testAdd2() { assertEquals(3, new Calc().add(1, 2)); }"
    assert_valid_java(edit.final_text)


def test_unknown_framework_defaults_to_junit5_and_names_are_normalised(repo: Path) -> None:
    assert place_test(repo, Conventions(framework=None), FOCAL, Method(), GENERATED).framework == "junit5"
    assert place_test(repo, Conventions(framework="JUnit 4"), FOCAL, Method(), GENERATED).framework == "junit4"


def test_name_clash_counts_up(repo: Path) -> None:
    text, name = normalize_test_method(GENERATED, "add", "junit5", {"testAdd", "testAdd2"})
    assert name == "testAdd3" and "void testAdd3()" in text


def test_import_merge_without_duplicates_and_shifted_range(repo: Path) -> None:
    write_test(repo, "package org.x;\n\nimport org.junit.jupiter.api.Test;\nimport static "
                     "org.junit.jupiter.api.Assertions.assertTrue;\n\nclass CalcTest {\n\tvoid helper() {}\n}\n")
    generated = "@Test void testAdd() {\n        assertTrue(true);\n        assertEquals(3, 3);\n    }"
    edit = place_test(repo, Conventions(), FOCAL, Method(), generated)
    assert len(edit.import_insertions) == 1
    ins = edit.import_insertions[0]
    assert (ins.line, ins.text) == (3, "\nimport static org.junit.jupiter.api.Assertions.assertEquals;")
    assert edit.final_text.count("import org.junit.jupiter.api.Test;") == 1
    assert edit.final_text.count("Assertions.assertTrue;") == 1
    assert "\t@Test void testAdd() {\n\t    assertTrue(true);" in edit.final_text  # the file's tab indent
    sl, sc, el, _ = edit.test_range
    assert edit.final_text.splitlines()[sl][sc:].startswith("@Test void testAdd()")
    assert edit.final_text.splitlines()[el].strip() == "}"
    assert_valid_java(edit.final_text)


def test_imports_after_package_when_file_has_none(repo: Path) -> None:
    write_test(repo, "package org.x;\n\nclass CalcTest {\n}\n")
    edit = place_test(repo, Conventions(), FOCAL, Method(), GENERATED)
    assert edit.final_text.startswith("package org.x;\n\nimport org.junit.jupiter.api.Test;\nimport static "
                                      "org.junit.jupiter.api.Assertions.assertEquals;\n\nclass CalcTest {\n    @Test")
    assert_valid_java(edit.final_text)


def test_conflicting_simple_name_is_not_imported_twice(repo: Path) -> None:
    write_test(repo, "package org.x;\nimport org.junit.jupiter.api.Test;\n"
                     "import static org.assertj.core.api.Assertions.assertThat;\nclass CalcTest {}\n")
    edit = place_test(repo, Conventions(assertion_library="hamcrest"), FOCAL, Method(),
                      "@Test void t() { assertThat(1).isEqualTo(1); }")
    assert edit.import_insertions == ()
    assert edit.insert_col == len("class CalcTest {")  # brace on the same line
    assert_valid_java(edit.final_text)


def test_existing_test_found_under_another_directory_by_package(repo: Path) -> None:
    other = write_test(repo, EXISTING_JUNIT4, rel="src/test/java/legacy/CalcTest.java")
    edit = place_test(repo, Conventions(), FOCAL, Method(), GENERATED)
    assert edit.path == other.resolve() and not edit.created


def test_unsaved_editor_text_overrides_disk(repo: Path) -> None:
    write_test(repo, EXISTING_JUNIT4)
    edit = place_test(repo, Conventions(), FOCAL, Method(), GENERATED,
                      existing_text="package org.x;\nimport org.junit.Test;\npublic class CalcTest {\n}\n")
    assert edit.method_name == "testAdd"


def test_broken_test_file_is_reported(repo: Path) -> None:
    write_test(repo, "package org.x;\npublic class CalcTest {\n  @Test public void a() {\n")
    with pytest.raises(JavaSyntaxError, match="fix the file"):
        place_test(repo, Conventions(), FOCAL, Method(), GENERATED)


@dataclass
class EscapingConventions(TestConventions):
    target: str = "../outside/CalcTest.java"

    def test_path_for(self, main_file: str) -> str:
        return self.target


@pytest.mark.parametrize("target", ["../outside/CalcTest.java", "/etc/CalcTest.java", "src/test/java/x.txt"])
def test_paths_outside_the_repository_are_refused(repo: Path, target: str) -> None:
    with pytest.raises(UnsafeTestPathError):
        place_test(repo, EscapingConventions(test_roots=["src/test/java"], target=target), FOCAL, Method(), GENERATED)


def test_symlink_escape_is_refused(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (repo / "src/test").mkdir(parents=True)
    (repo / "src/test/java").symlink_to(outside)
    with pytest.raises(UnsafeTestPathError, match="outside the repository"):
        place_test(repo, Conventions(), FOCAL, Method(), GENERATED)


def test_apply_edit_creates_and_extends(repo: Path) -> None:
    created = place_test(repo, Conventions(), FOCAL, Method(), GENERATED)
    path = apply_edit(created)
    assert path.read_text() == created.final_text
    extended = place_test(repo, Conventions(), FOCAL, Method(), GENERATED)
    assert not extended.created and extended.method_name == "testAdd2"
    apply_edit(extended)
    assert path.read_text() == extended.final_text
    assert [p.name for p in path.parent.iterdir()] == ["CalcTest.java"]  # no temporary left behind


def test_apply_edit_refuses_stale_edits(repo: Path) -> None:
    created = place_test(repo, Conventions(), FOCAL, Method(), GENERATED)
    write_test(repo, EXISTING_JUNIT4)
    with pytest.raises(StorageError, match="appeared"):
        apply_edit(created)
    extended = place_test(repo, Conventions(), FOCAL, Method(), GENERATED)
    write_test(repo, EXISTING_JUNIT4 + "\n// edited\n")
    with pytest.raises(StorageError, match="changed"):
        apply_edit(extended)


def test_find_repo_root(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert find_repo_root(repo / FOCAL) == repo.resolve()
    assert find_repo_root(tmp_path_factory.mktemp("norepo")) is None
