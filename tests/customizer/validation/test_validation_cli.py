"""``testtailor generate --validate`` on the example project, and a JUnit 4 project run through the vintage
engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from customizer.cli import main
from customizer.java.methods import list_methods
from customizer.java.parser import read_java_file
from customizer.mining.miner import mine_repository
from customizer.placement import place_test
from customizer.validation import Outcome, Validator, outcome_rank
from tests.customizer.validation.conftest import require_java


@pytest.fixture
def isolated_env(monkeypatch, empty_home, validation_cache, tmp_path):
    monkeypatch.setenv("HOME", str(empty_home))  # no ~/.m2: Debian's JUnit jars, as in CI
    monkeypatch.setenv("TESTTAILOR_CACHE", str(validation_cache.parent))
    monkeypatch.setenv("TESTTAILOR_HOME", str(tmp_path / "adapters"))


def test_generate_validate_ranks_the_projects_nearest_tests(shopkit, isolated_env, capsys):
    require_java()
    code = main(["generate", str(shopkit), "--file", "src/main/java/io/shopkit/tax/TaxCalculator.java",
                 "--line", "72", "--strategy", "retrieve", "--candidates", "3", "--validate", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    checked = [c["validation"] for c in result["candidates"]]
    assert all(v is not None and v["test_class"] == "io.shopkit.tax.TaxCalculatorTest" for v in checked)
    ranks = [outcome_rank(_result(v)) for v in checked]
    assert ranks == sorted(ranks)
    # retrieved tests of rateFor renamed to isExempt assign a boolean to a BigDecimal: they cannot compile
    assert {v["outcome"] for v in checked} <= {o.value for o in Outcome}
    assert any(v["outcome"] in ("passing", "failing") for v in checked), checked
    assert not (shopkit / "target").exists() and "isExempt_" not in (
        shopkit / "src/test/java/io/shopkit/tax/TaxCalculatorTest.java").read_text(encoding="utf-8")


def _result(data: dict) -> object:
    from customizer.validation import ValidationResult

    return ValidationResult(Outcome(data["outcome"]), data["message"])


def test_a_missing_classpath_entry_stops_generate_with_its_exit_code(shopkit, isolated_env, capsys):
    require_java()
    code = main(["generate", str(shopkit), "--file", "src/main/java/io/shopkit/tax/TaxCalculator.java",
                 "--line", "72", "--strategy", "retrieve", "--candidates", "1", "--validate",
                 "--classpath", "no/such/lib.jar"])
    assert code == 29
    assert "no/such/lib.jar does not exist" in capsys.readouterr().err


def test_junit4_candidates_run_through_the_vintage_engine(java_repo: Path, empty_home, tmp_path):
    require_java()
    conventions = mine_repository(java_repo).conventions
    focal = java_repo / "src/main/java/org/example/Calculator.java"
    method = next(m for m in list_methods(read_java_file(focal)) if m.name == "add")
    validator = Validator(java_repo, cache_dir=tmp_path / "cache", main_roots=conventions.main_roots,
                          test_roots=conventions.test_roots, home=empty_home)
    passing = place_test(java_repo, conventions, focal, method,
                         "public void testAddSmall() {\n    assertEquals(5, new Calculator().add(2, 3));\n}")
    failing = place_test(java_repo, conventions, focal, method,
                         "public void testAddWrong() {\n    assertEquals(6, new Calculator().add(2, 3));\n}")
    assert passing.framework == "junit4"
    assert validator.validate_edit(passing).outcome is Outcome.PASSING
    result = validator.validate_edit(failing)
    assert result.outcome is Outcome.FAILING and "expected:<6> but was:<5>" in result.message


def test_without_a_junit_launcher_candidates_are_unchecked_not_failed(java_repo: Path, tmp_path):
    conventions = mine_repository(java_repo).conventions
    focal = java_repo / "src/main/java/org/example/Calculator.java"
    method = next(m for m in list_methods(read_java_file(focal)) if m.name == "add")
    validator = Validator(java_repo, cache_dir=tmp_path / "cache", home=tmp_path, junit_dir=tmp_path / "no-jars")
    edit = place_test(java_repo, conventions, focal, method,
                      "public void testAddSmall() {\n    assertEquals(5, new Calculator().add(2, 3));\n}")
    result = validator.validate_edit(edit)
    assert result.outcome is Outcome.UNCHECKED and result.summary() == "not verified"
    assert "console launcher" in result.message or "no JDK" in result.message
    assert not (tmp_path / "cache").exists()  # nothing was compiled
