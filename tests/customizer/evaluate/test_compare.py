"""`testtailor evaluate-compare`: two systems from two result folders, compared on the pairs both scored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from customizer.evaluate.compare import Side, compare
from customizer.evaluate.store import Cell, write_cell


def _row(pair_id: str, bleu: float, abstracted: bool = False, parses: bool = True) -> dict:
    return {"id": pair_id, "bleu": bleu, "exact": [False] * 5, "abstracted": [abstracted] + [False] * 4,
            "parses": parses, "hit_limit": False}


def _results(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "results", tmp_path / "results-v2"
    for repo in ("alpha", "beta"):
        write_cell(old, Cell(repo, "method", 0, "base"), [_row(f"{repo}{i}", 5.0 + i) for i in range(8)])
        write_cell(old, Cell(repo, "random", 0, "base"), [_row(f"{repo}{i}", 50.0) for i in range(8)])
    # the new model scored alpha's pairs (better on every one) and beta's first four only
    write_cell(new, Cell("alpha", "method", 0, "base"),
               [_row(f"alpha{i}", 9.0 + i, abstracted=i == 0, parses=i > 0) for i in range(8)])
    write_cell(new, Cell("beta", "method", 0, "base"), [_row(f"beta{i}", 9.0 + i) for i in range(4)])
    return old, new


def test_pairs_both_scored_are_compared_with_the_paired_test(tmp_path: Path) -> None:
    old, new = _results(tmp_path)
    result, lines = compare(Side(new, "base"), Side(old, "base"), "method")
    assert result.n == 12 and result.delta == pytest.approx(4.0)
    assert result.significant(0.01)  # 12 of 12 pairs better: p = 2^-11 (two-sided, exact)
    assert lines[0] == "method split, 12 pairs of 2 repositories scored by both"
    assert "results-v2:base: top-1 abstracted match 8.3%, parses 91.7%" in lines[2]


def test_cli_says_what_a_side_is_and_when_nothing_is_shared(tmp_path: Path) -> None:
    old, new = _results(tmp_path)
    cmd = [sys.executable, "-m", "customizer", "evaluate-compare"]
    ok = subprocess.run([*cmd, f"{new}:base", f"{old}:base"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and "BLEU-4: results-v2:base 11.8 vs results:base 7.8 (+4.0" in ok.stdout
    bad = subprocess.run([*cmd, str(new), f"{old}:base"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "RESULTS_DIR:SYSTEM" in bad.stderr
    none = subprocess.run([*cmd, f"{new}:base", f"{old}:base", "--split", "random"], capture_output=True,
                          text=True, timeout=120)
    assert none.returncode != 0 and "share no scored pair on the random split (0 and 16 pairs)" in none.stderr
