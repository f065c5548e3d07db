from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepos import MakeRepo
from java_fixtures import MAIN_REPO

from customizer.cli import main
from customizer.mining.conventions import TestConventions, source_root
from customizer.mining.heuristics import focal_class_candidates, is_camel_prefix, name_candidates
from customizer.mining.pairs import read_pairs


@pytest.mark.parametrize(
    ("test_class", "focal"),
    [("FooTest", "Foo"), ("TestFoo", "Foo"), ("FooTests", "Foo"), ("FooIT", "Foo"), ("FooTestCase", "Foo"),
     ("Testing", None), ("Test", None)],
)
def test_focal_class_candidates(test_class: str, focal: str | None) -> None:
    names = [name for name, _ in focal_class_candidates(test_class)]
    assert (names[0] if names else None) == focal


@pytest.mark.parametrize(
    ("test_name", "expected"),
    [("testFoo", "foo"), ("testFooWithNull", "fooWithNull"), ("foo_returnsX", "foo"),
     ("shouldFooWhenBar", "foo"), ("givenX_whenFoo_thenY", "foo"), ("test_foo_bar", "foo")],
)
def test_name_candidates(test_name: str, expected: str) -> None:
    assert expected in name_candidates(test_name)


def test_camel_prefix() -> None:
    assert is_camel_prefix("foo", "fooWithNull")
    assert is_camel_prefix("foo", "foo_x")
    assert not is_camel_prefix("foo", "food")
    assert not is_camel_prefix("foo", "foo")


def test_source_root() -> None:
    assert source_root("m/src/test/java/a/b/FooTest.java", "a.b") == "m/src/test/java"
    assert source_root("a/b/Foo.java", "a.b") == ""
    assert source_root("weird/Foo.java", "a.b") == "weird"


def test_conventions_round_trip_and_placement(tmp_path: Path) -> None:
    c = TestConventions(framework="junit4", framework_counts={"junit4": 3}, test_roots=["test"],
                        main_roots=["src"], naming_pattern="Test{name}", naming_counts={"Test{name}": 3},
                        assertion_library="hamcrest", assertion_counts={"hamcrest": 2})
    assert TestConventions.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert c.test_path_for("src/a/Foo.java") == "test/a/TestFoo.java"
    assert not c.test_file_exists("src/a/Foo.java", tmp_path)
    (tmp_path / "test/a").mkdir(parents=True)
    (tmp_path / "test/a/FooTests.java").write_text("class FooTests {}")
    assert c.existing_test_for("src/a/Foo.java", tmp_path) == "test/a/FooTests.java"


def test_cli_mine_json_and_out(make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(MAIN_REPO)
    out = tmp_path / "pairs.jsonl"
    assert main(["mine", str(root), "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["pairs"] == 13
    assert data["conventions"]["naming_pattern"] == "{name}Test"
    assert len(read_pairs(out)) == 13


def test_cli_mine_human_summary(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mine", str(make_repo(MAIN_REPO))]) == 0
    text = capsys.readouterr().out
    assert "13 pairs from 23 test methods" in text
    assert "no_focal_class: 1 (e.g. OrphanTest.testAnything)" in text
    assert "tests named {name}Test" in text


@pytest.mark.parametrize(
    ("files", "code", "message"),
    [(None, 10, "is not inside a git repository"), ({"a.txt": "x"}, 11, "no git-tracked .java files"),
     ({"A.java": "class A { void f() {} }"}, 12, "no JUnit/TestNG tests found")],
)
def test_cli_exit_codes(make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                        files: dict[str, str | bytes] | None, code: int, message: str) -> None:
    if files is None:
        target = tmp_path / "plain"
        target.mkdir()
    else:
        target = make_repo(files)
    assert main(["mine", str(target)]) == code
    err = capsys.readouterr().err
    assert err.startswith("testtailor: error: ") and message in err
    assert "Traceback" not in err
