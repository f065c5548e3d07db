"""Hybrid cells order the model's candidates by agreement with the nearest tests, as the product does."""

import os

import pytest

import customizer.defaults
from customizer.evaluate.hybrid import hybrid_cell
from customizer.evaluate.runner import is_stale
from customizer.evaluate.store import Cell, read_cell, write_cell
from customizer.java.context import FocalContext
from customizer.mining.pairs import FocalMethod, Pair, TestMethod
from customizer.retrieval.agreement import by_agreement

FOCAL = "public int add(int a, int b) { return a + b; }"
REFERENCE = "@Test\nvoid adds() {\n    assertEquals(3, calc.add(1, 2));\n}"
NEAREST = [f"@Test\nvoid adds{i}() {{\n    assertEquals({i + 2}, calc.add({i}, 2));\n}}" for i in range(5)]
BEAMS = ["@Test\nvoid adds() {\n    Calc c = new Calc();\n    int r = c.add(1, 2);\n    assertTrue(r > 0);\n}",
         "@Test\nvoid adds() {\n    assertEquals(3, calc.add(1, 2)",  # does not parse
         "@Test\nvoid adds() {\n    assertEquals(3, calc.add(1, 2));\n}"]


def _pair() -> Pair:
    return Pair(id="0" * 16, repo="r", commit="c", heuristic="name",
                focal=FocalMethod(file="src/main/java/Calc.java", class_="Calc", method="add",
                                  signature="public int add(int a, int b)", body=FOCAL, byte_range=(0, len(FOCAL)),
                                  line=1),
                context=FocalContext(class_name="Calc", constructors=[], methods=[], fields=[]),
                test=TestMethod(file="src/test/java/CalcTest.java", class_="CalcTest", method="adds", body=REFERENCE))


@pytest.fixture
def out(tmp_path):
    pair = _pair()
    row = {"id": pair.id, "bleu": 1.0, "exact": [False] * 5, "abstracted": [False] * 5, "top1": "",
           "reference": REFERENCE}
    write_cell(tmp_path, Cell("r", "method", 0, "retrieve"), [{**row, "candidates": NEAREST, "top1": NEAREST[0]}])
    write_cell(tmp_path, Cell("r", "method", 0, "base"), [{**row, "candidates": BEAMS, "top1": BEAMS[0],
                                                          "nll": 3.0, "ref_tokens": 10}])
    return tmp_path


def test_the_models_place_goes_to_its_candidate_that_agrees_most(out, monkeypatch):
    cell = Cell("r", "method", 0, "hybrid-base")
    rows, run = hybrid_cell(out, cell, [_pair()])
    assert by_agreement(BEAMS, NEAREST)[0] == BEAMS[2] != BEAMS[0]
    assert rows[0]["candidates"] == [*NEAREST[:4], BEAMS[2]] and run["agreement"] is True
    monkeypatch.setattr(customizer.defaults, "AGREEMENT_ORDER", False)
    rows, run = hybrid_cell(out, cell, [_pair()])
    assert rows[0]["candidates"] == [*NEAREST[:4], BEAMS[0]] and run["agreement"] is False
    # with every place for the model, the whole list is the model's in agreement order
    monkeypatch.setattr(customizer.defaults, "AGREEMENT_ORDER", True)
    rows, _ = hybrid_cell(out, cell, [_pair()], first=0)
    assert rows[0]["candidates"] == by_agreement(BEAMS, NEAREST)


def test_a_hybrid_cell_made_with_the_other_order_is_stale(out, monkeypatch):
    cell = Cell("r", "method", 0, "hybrid-base")
    rows, run = hybrid_cell(out, cell, [_pair()])
    write_cell(out, cell, rows, run)
    newer = max(p.stat().st_mtime for p in out.rglob("*.jsonl")) + 10
    os.utime(cell.path(out), (newer, newer))
    assert not is_stale(out, cell)
    monkeypatch.setattr(customizer.defaults, "AGREEMENT_ORDER", False)
    assert is_stale(out, cell)
    old_rows, old_run = read_cell(out, cell)
    write_cell(out, cell, old_rows, {k: v for k, v in old_run.items() if k != "agreement"})  # made before the switch
    os.utime(cell.path(out), (newer, newer))
    assert not is_stale(out, cell)
    monkeypatch.setattr(customizer.defaults, "AGREEMENT_ORDER", True)
    assert is_stale(out, cell)
