from __future__ import annotations

import os
from pathlib import Path

import pytest
from gitrepos import MakeRepo, git
from java_fixtures import MAIN_REPO, MULTI_MODULE_REPO, UNPARSABLE_TEST

from customizer.errors import NoJavaFilesError, NotAGitRepositoryError, NoTestsFoundError
from customizer.mining.miner import MiningResult, mine_repository
from customizer.mining.pairs import pairs_to_jsonl, read_pairs, write_pairs


@pytest.fixture
def mined(make_repo: MakeRepo) -> MiningResult:
    return mine_repository(make_repo(MAIN_REPO))


def _mapping(result: MiningResult) -> dict[str, tuple[str, str, str]]:
    return {f"{p.test.class_}.{p.test.method}": (p.heuristic, p.focal.file, p.focal.signature) for p in result.pairs}


def test_each_heuristic_maps_the_expected_focal_method(mined: MiningResult) -> None:
    calc = "src/main/java/org/calc/Calculator.java"
    mapping = _mapping(mined)
    assert mapping["CalculatorTest.add_twoNumbers_returnsSum"] == ("name", calc, "public int add(int a, int b)")
    assert mapping["CalculatorTest.testSubtract"] == ("name", calc, "public int subtract(int a, int b)")
    assert mapping["CalculatorTest.shouldParseWhenDigits"] == ("name", calc, "public int parse(String text)")
    assert mapping["CalculatorTest.givenMemory_whenMemory_thenKept"] == ("name", calc, "public int memory()")
    assert mapping["CalculatorTest.testFormatWithPattern"] == (
        "name_prefix", calc, "public String format(String pattern, int value)")
    assert mapping["CalculatorTest.sumsCorrectly"] == ("unique_call", calc, "public int add(int a, int b)")
    assert mapping["CalculatorTest.constructsWithMemory"] == ("unique_call", calc, "public Calculator(int memory)")
    assert mapping["StackTest.testIsEmptyInitially"][0::2] == ("name_prefix", "public boolean isEmpty()")
    assert mapping["TestQueue.testSize"][0::2] == ("name", "public int size()")
    assert mapping["ParserIT.testTokenize"][0::2] == ("name", "public String[] tokenize(String s)")


def test_every_skip_reason_is_counted_with_examples(mined: MiningResult) -> None:
    s = mined.summary
    expected = {
        "no_focal_class": "OrphanTest.testAnything",
        "ambiguous_focal_class": "WidgetTest.testSpin",
        "no_match": "CalculatorTest.nothingHere",
        "ambiguous_call": "CalculatorTest.mixesOperations",
        "ambiguous_overload": "CalculatorTest.testParse",
        "focal_no_body": "TestQueue.testOffer",
        "focal_has_error": "BrokenTest.testValue",
        "test_has_error": "CalculatorTest.broken",
        "abstract_or_no_body": "StackTest.testSubclassHook",
        "duplicate": "CalculatorTests.testSubtract",
    }
    for reason, example in expected.items():
        assert s.skipped.get(reason) == 1, reason
        assert s.skip_examples[reason] == [example]
    assert sum(s.skipped.values()) + s.pairs == s.test_methods
    assert s.by_heuristic == {"name": 8, "name_prefix": 3, "unique_call": 2}
    assert s.mapped_share == pytest.approx(13 / 23)


def test_test_sources_are_not_focal_candidates(mined: MiningResult) -> None:
    assert all(p.focal.file.startswith("src/main/java/") for p in mined.pairs)
    assert mined.summary.production_files == 7
    assert mined.summary.test_files == 8


def test_pair_fields_follow_the_contract(mined: MiningResult) -> None:
    pair = next(p for p in mined.pairs if p.test.method == "testSubtract")
    source = MAIN_REPO[pair.focal.file]
    assert isinstance(source, str)
    start, end = pair.focal.byte_range
    assert source.encode()[start:end].decode() == pair.focal.body
    assert pair.focal.line == 9
    assert pair.context.class_name == "Calculator"
    assert pair.context.constructors == ["public Calculator()", "public Calculator(int memory)"]
    assert "public int subtract(int a, int b)" not in pair.context.methods
    assert pair.context.fields == ["private int memory;"]
    assert pair.test.body.startswith("@Test")
    assert len(pair.id) == 16 and len(pair.commit) == 40 and pair.repo == mined.repo_name


def test_conventions_are_mined(mined: MiningResult) -> None:
    c = mined.conventions
    assert c.framework_counts == {"junit4": 4, "junit5": 2, "junit3": 1, "testng": 1}
    assert list(c.framework_counts) == ["junit4", "junit5", "junit3", "testng"]
    assert c.framework == "junit4"
    assert c.test_roots == ["src/test/java"]
    assert c.main_roots == ["src/main/java"]
    assert c.naming_pattern == "{name}Test"
    assert c.test_path_for("src/main/java/org/calc/Calculator.java") == "src/test/java/org/calc/CalculatorTest.java"


def test_mining_twice_gives_identical_jsonl(make_repo: MakeRepo, tmp_path: Path) -> None:
    root = make_repo(MAIN_REPO)
    first = mine_repository(root)
    second = mine_repository(root)
    assert pairs_to_jsonl(first.pairs) == pairs_to_jsonl(second.pairs)
    out = write_pairs(tmp_path / "out" / "pairs.jsonl", first.pairs)
    assert read_pairs(out) == first.pairs


def test_multi_module_prefers_the_mirrored_module(make_repo: MakeRepo) -> None:
    result = mine_repository(make_repo(MULTI_MODULE_REPO))
    assert [p.focal.file for p in result.pairs] == ["core/src/main/java/org/mod/Engine.java"]
    assert result.conventions.test_path_for("other/src/main/java/org/mod/Engine.java") == (
        "other/src/test/java/org/mod/EngineTest.java")


def test_unique_simple_name_in_another_package_is_used(make_repo: MakeRepo) -> None:
    files = {
        "src/main/java/org/a/Widget.java": "package org.a;\npublic class Widget { public void spin() { } }\n",
        "src/test/java/org/c/WidgetTest.java": "package org.c;\nimport org.junit.Test;\n"
        "public class WidgetTest {\n  @Test public void testSpin() { new org.a.Widget().spin(); }\n}\n",
    }
    result = mine_repository(make_repo(files))
    assert [(p.focal.file, p.heuristic) for p in result.pairs] == [("src/main/java/org/a/Widget.java", "name")]


def test_unparsable_test_file_is_counted(make_repo: MakeRepo) -> None:
    files = {**MAIN_REPO, "src/test/java/org/calc/CalculatorBadTest.java": UNPARSABLE_TEST}
    result = mine_repository(make_repo(files))
    assert result.summary.unparsable_test_files == 1


def test_undecodable_and_symlinked_files(make_repo: MakeRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Evil.java").write_text(MAIN_REPO["src/test/java/org/util/StackTest.java"])  # type: ignore[arg-type]
    files = dict(MAIN_REPO)
    files["src/main/java/org/util/Latin.java"] = b"package org.util;\nclass Latin { String s = \"caf\xe9\"; }\n"
    root = make_repo(files)
    os.symlink(outside / "Evil.java", root / "src/test/java/org/util/EvilTest.java")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "link")
    result = mine_repository(root)
    assert result.summary.undecodable_files == 1
    assert result.summary.symlinks == 1
    assert all("Evil" not in p.test.file for p in result.pairs)


def test_not_a_git_repository(tmp_path: Path) -> None:
    with pytest.raises(NotAGitRepositoryError):
        mine_repository(tmp_path)


def test_no_java_files(make_repo: MakeRepo) -> None:
    with pytest.raises(NoJavaFilesError, match=r"no git-tracked \.java files"):
        mine_repository(make_repo({"README.md": "hi"}))


def test_no_tests(make_repo: MakeRepo) -> None:
    root = make_repo({"src/main/java/A.java": "public class A { int f() { return 1; } }"})
    with pytest.raises(NoTestsFoundError, match="generate --base-only"):
        mine_repository(root)
