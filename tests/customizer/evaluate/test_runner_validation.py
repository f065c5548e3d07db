"""``testtailor evaluate --validate`` end to end on tiny repositories: outcomes stored per pair, build records,
resume, and validating cells that were computed without validation (from their stored candidates)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepos import calculator_repo, make_git_repo

from customizer.cli import main
from customizer.evaluate.runner import EvalConfig, evaluate_repositories
from customizer.evaluate.store import iter_cells
from customizer.evaluate.validation import COMPILING, read_build_records
from customizer.validation.classpath import DEFAULT_JUNIT_JAR_DIR
from customizer.validation.javac import find_jdk
from customizer.validation.outcome import Outcome

OUTCOMES = {o.value for o in Outcome}


@pytest.fixture(autouse=True)
def _java() -> None:
    if find_jdk() is None:
        pytest.skip("needs a JDK (apt-get install default-jdk-headless)")
    if not (DEFAULT_JUNIT_JAR_DIR / "junit4.jar").is_file() or \
            not (DEFAULT_JUNIT_JAR_DIR / "junit-platform-console-standalone.jar").is_file():
        pytest.skip("needs Debian's JUnit jars (apt-get install junit5 junit4 libhamcrest-java)")


def test_validate_stores_outcomes_resumes_and_validates_stored_cells(tmp_path, tiny_bart_dir):
    repo = calculator_repo(tmp_path / "calc")
    out = tmp_path / "results"
    cfg = EvalConfig(out=out, systems=("retrieve", "base"), folds=4, run_folds=[0], splits=("method",), max_test=2,
                     candidates=2, device="cpu", base_model=str(tiny_bart_dir))
    logs: list[str] = []
    assert evaluate_repositories([repo], cfg, log=logs.append) == 2  # computed, not validated
    assert all("validation" not in r and len(r["candidates"]) == 2 for _, rows, _ in iter_cells(out) for r in rows)
    before = {c.system: [r["bleu"] for r in rows] for c, rows, _ in iter_cells(out)}

    validate = EvalConfig(**{**cfg.__dict__, "validate": True})
    logs.clear()
    assert evaluate_repositories([repo], validate, log=logs.append) == 2
    assert not any("(train " in m for m in logs)  # validated from the stored candidates, not recomputed
    cells = {c.system: (rows, run) for c, rows, run in iter_cells(out)}
    assert {s: [r["bleu"] for r in rows] for s, (rows, _) in cells.items()} == before
    for rows, run in cells.values():
        assert len(rows) == 2 and run["validation"]["wall_s"] >= 0
        for row in rows:
            v = row["validation"]
            assert len(v["outcomes"]) == len(v["messages"]) == 2 and set(v["outcomes"]) <= OUTCOMES
            assert v["top1"] == v["outcomes"][0] and v["best5"] in v["outcomes"]
            assert "unchecked" not in v["outcomes"]  # the project builds with Debian's JUnit 4
    # retrieval renames the nearest developer test (assertEquals(n, calc.op(n, n))): javac accepts it
    assert all(r["validation"]["best5"] in COMPILING for r in cells["retrieve"][0])
    # the tiny random model's output is no Java method
    assert all(set(r["validation"]["outcomes"]) == {"not_parsing"} for r in cells["base"][0])
    build = read_build_records(out)["calc"]
    assert build["builds"] and build["modules"]["."]["build_system"] == "plain"
    control = build["reference_control"]  # the developer's own tests, placed and run like candidates
    assert control["pairs"] == control["compiles"] == 2 and control["passes"] >= 1  # (half(1, 1) == 1 fails)
    assert set(control["outcomes"]) <= {"passing", "failing"}

    assert evaluate_repositories([repo], validate, log=lambda m: None) == 0  # resumable


def test_a_project_that_does_not_compile_is_recorded_with_the_reason(tmp_path, capsys):
    broken = "package org.example;\n\npublic class Calculator {\n    public int add(int a, int b) {\n" \
             "        return a + missing.Thing.value();\n    }\n}\n"
    methods = "".join(f"    @Test\n    public void testAdd{n}() {{\n"
                      f"        assertEquals({2 * n}, new Calculator().add({n}, {n}));\n    }}\n" for n in range(1, 9))
    test = ("package org.example;\n\nimport org.junit.Test;\nimport static org.junit.Assert.assertEquals;\n\n"
            f"public class CalculatorTest {{\n{methods}}}\n")
    repo = make_git_repo(tmp_path / "broken", {"src/main/java/org/example/Calculator.java": broken,
                                               "src/test/java/org/example/CalculatorTest.java": test})
    out = tmp_path / "results"
    assert main(["evaluate", str(repo), "--strategies", "retrieve", "--run-folds", "0", "--split", "random",
                 "--max-test", "1", "--candidates", "1", "--validate", "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["cells_computed"] == 1
    build = read_build_records(out)["broken"]
    assert not build["builds"] and "production sources (src/main/java) do not compile" in build["reason"]
    assert "missing" in build["reason"]
    (rows,) = [rows for _, rows, _ in iter_cells(Path(out))]
    assert rows[0]["validation"]["outcomes"] == ["unchecked"]
