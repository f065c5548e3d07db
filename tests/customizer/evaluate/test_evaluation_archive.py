"""scripts/evaluation_archive.sh: the evaluation's cells kept in the repository, restored into a results folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from customizer.evaluate.store import Cell, iter_cells, write_cell

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "evaluation_archive.sh"


def _run(verb: str, out: Path, archive: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), verb], env={**os.environ, "OUT": str(out), "ARCHIVE": str(archive)},
                          capture_output=True, text=True, timeout=60)


def test_pack_then_unpack_restores_every_cell_and_the_pairs_they_were_scored_on(tmp_path: Path) -> None:
    results, archive = tmp_path / "results", tmp_path / "a" / "cells.tar.xz"
    pairs = archive.parent / "evaluation-pairs.tar.xz"
    write_cell(results, Cell("pkg", "method", 0, "l-ldb"), [{"id": "x", "bleu": [12.5]}], {"system": "l-ldb"})
    write_cell(results, Cell("pkg", "method", 0, "retrieve"), [{"id": "x", "bleu": [30.0]}])
    (results / "pkg" / "pairs.jsonl").write_text('{"mined": true}\n')  # what the folds were cut from
    assert _run("pack", results, archive).returncode == 0
    first, first_pairs = archive.read_bytes(), pairs.read_bytes()
    assert _run("pack", results, archive).returncode == 0  # deterministic: an unchanged folder, the same bytes
    assert archive.read_bytes() == first and pairs.read_bytes() == first_pairs
    restored = tmp_path / "restored"
    done = _run("unpack", restored, archive)
    assert done.returncode == 0 and "unpacked 3 files" in done.stdout and "unpacked 1 files" in done.stdout
    assert [(c, rows, run) for c, rows, run in iter_cells(restored)] == list(iter_cells(results))
    assert (restored / "pkg" / "pairs.jsonl").read_text() == '{"mined": true}\n'
    # the cells alone (an archive from before the pairs were kept) still unpack
    pairs.unlink()
    again = _run("unpack", tmp_path / "again", archive)
    assert again.returncode == 0 and not (tmp_path / "again" / "pkg" / "pairs.jsonl").exists()


def test_pack_without_results_and_an_unknown_verb_fail_clearly(tmp_path: Path) -> None:
    missing = _run("pack", tmp_path / "none", tmp_path / "x.tar.xz")
    assert missing.returncode == 2 and "no results folder" in missing.stderr
    assert _run("frobnicate", tmp_path, tmp_path / "x.tar.xz").returncode == 2
