"""Hand-written candidates for ``TaxCalculator.isExempt`` in a copy of examples/shopkit, each classified right:
does not parse, does not compile, fails, passes, loops (timeout); ranked in that order of preference; the
project's files untouched; the project compiled once for all candidates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from customizer.generate import Candidate, Generation
from customizer.java.methods import list_methods
from customizer.java.parser import read_java_file
from customizer.mining.miner import mine_repository
from customizer.validation import Outcome, Validator, validate_generation
from customizer.validation.compiled_project import compile_project
from tests.customizer.validation.conftest import require_java

FOCAL = "src/main/java/io/shopkit/tax/TaxCalculator.java"
CANDIDATES = {  # in the model's order: the validation must reorder them
    "not_compiling": '@Test\nvoid isExempt_typo() {\n    assertTrue(calculator.isExemptt("DE", "books"));\n}',
    "not_parsing": 'void isExempt_broken() {\n    boolean b = calculator.isExempt("DE", ;\n}',
    "timeout": '@Test\nvoid isExempt_loops() {\n    while (true) {\n        calculator.isExempt("DE", "books");\n'
               '    }\n}',
    "failing": '@Test\nvoid isExempt_wrong() {\n    calculator.exempt("DE", "books");\n'
               '    assertFalse(calculator.isExempt("DE", "Books"));\n}',
    "passing": '@Test\nvoid isExempt_caseInsensitive() {\n    calculator.exempt("DE", "books");\n'
               '    assertTrue(calculator.isExempt("de", " Books "));\n}',
}


def _snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


@pytest.fixture(scope="module")
def validated(shopkit: Path, empty_home: Path, validation_cache: Path):
    require_java()
    before = _snapshot(shopkit)
    conventions = mine_repository(shopkit).conventions
    method = next(m for m in list_methods(read_java_file(shopkit / FOCAL)) if m.name == "isExempt")
    generation = Generation(method=method, file=str(shopkit / FOCAL), model_description="hand-written",
                            adapter=None, candidates=[
                                Candidate(rank=i, text=text, score=-float(i), parses=True, degenerate=False,
                                          source=name)
                                for i, (name, text) in enumerate(CANDIDATES.items(), start=1)])
    cache = validation_cache
    validator = Validator(shopkit, cache_dir=cache, main_roots=conventions.main_roots,
                          test_roots=conventions.test_roots, test_timeout=15, home=empty_home, workers=2)
    validate_generation(generation, shopkit, conventions=conventions, validator=validator)
    return generation, before, cache, validator


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_each_candidate_is_classified_right(validated, name):
    generation = validated[0]
    candidate = next(c for c in generation.candidates if c.source == name)
    assert candidate.validation.outcome == Outcome(name)
    assert candidate.validation.test_class == "io.shopkit.tax.TaxCalculatorTest"


def test_messages_say_what_went_wrong(validated):
    by_name = {c.source: c.validation for c in validated[0].candidates}
    assert "cannot find symbol" in by_name["not_compiling"].message
    assert "isExemptt" in by_name["not_compiling"].message and "line 3 of the test" in by_name["not_compiling"].message
    assert "expected: <false> but was: <true>" in by_name["failing"].message
    assert "did not finish within 15 s" in by_name["timeout"].message
    assert by_name["passing"].summary() == "compiles, passes"


def test_candidates_are_ranked_passing_failing_timeout_not_compiling_not_parsing(validated):
    generation = validated[0]
    assert [c.source for c in generation.candidates] == ["passing", "failing", "timeout", "not_compiling",
                                                          "not_parsing"]
    assert [c.rank for c in generation.candidates] == [1, 2, 3, 4, 5]


def test_the_users_files_are_unchanged(validated, shopkit):
    assert _snapshot(shopkit) == validated[1]
    assert not (shopkit / "target").exists()


def test_the_project_is_compiled_once_and_reused(validated, shopkit):
    _, _, cache, validator = validated
    states = list(cache.rglob("result.json"))
    assert len(states) == 1  # one build of the project for all candidates (and the CLI's, with the same state)
    cp = validator.project_classpath(shopkit / "src/test/java/io/shopkit/tax/TaxCalculatorTest.java")
    again = compile_project(cp, validator.jdk, cache)
    assert again.cached and again.main is not None and again.test is not None and not again.skipped_tests


def test_a_changed_working_tree_is_compiled_again(validated, shopkit, tmp_path):
    _, _, cache, validator = validated
    cp = validator.project_classpath(shopkit / "src/test/java/io/shopkit/tax/TaxCalculatorTest.java")
    source = shopkit / FOCAL
    original = source.read_text(encoding="utf-8")
    try:
        source.write_text(original.replace("return exemptions.getOrDefault", "return !exemptions.getOrDefault"),
                          encoding="utf-8")
        rebuilt = compile_project(cp, validator.jdk, cache)
        assert not rebuilt.cached
    finally:
        source.write_text(original, encoding="utf-8")
    assert compile_project(cp, validator.jdk, cache).cached  # back to the first state: still in the cache
