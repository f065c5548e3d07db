"""Evaluation with retrieval-augmented input: its own cell names beside the runs without, training folds only."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepos import BODIES, make_git_repo

from customizer.cli import main
from customizer.evaluate.runner import EvalConfig, evaluate_repositories, system_cell_name
from customizer.evaluate.store import iter_cells


def _small_calculator(root: Path) -> Path:
    """Six methods with two tests each: the focal context leaves room for retrieved tests in the tiny BART's 256
    positions (the 12-method calculator's context fills them, and retrieved tests are cut first)."""
    ops = ["add", "subtract", "multiply", "max", "min", "negate"]
    methods = "".join(f"    public int {op}(int a, int b) {{ return {BODIES[op]}; }}\n" for op in ops)
    tests = "".join(f"    @Test public void test{op.capitalize()}{n}() {{ assertEquals({n}, new Calculator().{op}({n}, "
                    f"{n})); }}\n" for op in ops for n in (1, 2))
    return make_git_repo(root, {
        "src/main/java/org/example/Calculator.java": f"package org.example;\npublic class Calculator {{\n{methods}}}\n",
        "src/test/java/org/example/CalculatorTest.java": "package org.example;\nimport org.junit.Test;\n"
        f"import static org.junit.Assert.assertEquals;\npublic class CalculatorTest {{\n{tests}}}\n"})


def test_cell_names_with_and_without_retrieval() -> None:
    assert system_cell_name("l-ldb", 0) == "l-ldb"
    assert system_cell_name("l-ldb", 2) == "l-ldb+r2"
    assert system_cell_name("base", 1) == "base+r1"
    assert system_cell_name("retrieve", 2) == "retrieve"  # no model input to augment


def test_evaluate_with_and_without_retrieval_side_by_side(tiny_bart_dir: Path, tmp_path: Path) -> None:
    java_repo = _small_calculator(tmp_path / "calc")
    out = tmp_path / "results"
    common = dict(out=out, folds=4, run_folds=[0], splits=("method",), max_test=1, candidates=1, device="cpu",
                  base_model=str(tiny_bart_dir), max_minutes=0.02)
    assert evaluate_repositories([java_repo], EvalConfig(systems=("retrieve", "l-ldb"), retrieval=1, **common),
                                 log=lambda m: None) == 2
    assert evaluate_repositories([java_repo], EvalConfig(systems=("base",), **common), log=lambda m: None) == 1
    with pytest.raises(SystemExit):
        main(["evaluate", str(java_repo), "--retrieval", "-1", "--out", str(out)])
    assert main(["evaluate", str(java_repo), "--strategies", "base", "--run-folds", "0", "--max-test", "1",
                 "--candidates", "1", "--device", "cpu", "--base-model", str(tiny_bart_dir), "--retrieval", "1",
                 "--out", str(out), "--json"]) == 0
    cells = {c.system: (rows, run) for c, rows, run in iter_cells(out)}
    assert set(cells) == {"retrieve", "l-ldb+r1", "base", "base+r1"}
    assert cells["base+r1"][1]["retrieval"] == 1 and cells["base"][1]["retrieval"] == 0
    assert cells["l-ldb+r1"][1]["retrieval"] == 1 and cells["l-ldb+r1"][1]["train_pairs"] > 0
    # retrieval changes the inputs, so the reference test's likelihood differs from the run without it
    assert cells["base"][0][0]["id"] == cells["base+r1"][0][0]["id"]
    assert cells["base"][0][0]["nll"] != cells["base+r1"][0][0]["nll"]

    docs = tmp_path / "docs"
    assert main(["evaluate-report", "--out", str(out), "--docs", str(docs)]) == 0
    text = (docs / "evaluation.md").read_text()
    assert "| calc | base | 1 |" in text and "| calc | base+r1 | 1 |" in text and "| calc | l-ldb+r1 | 1 |" in text
