"""Where evaluation results live: one JSONL file per (repository, split, fold, system), written atomically.

A cell whose file exists is done, so an interrupted ``testtailor evaluate`` resumes where it stopped.
Layout: ``<out>/<repo>/<split>/fold<k>/<system>.jsonl`` (one row per test pair) and ``<system>.run.json``
(training curve, compute and wall time of the customization behind it, when there is one).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Cell:
    repo: str
    split: str
    fold: int
    system: str

    def path(self, out: Path) -> Path:
        return out / self.repo / self.split / f"fold{self.fold}" / f"{self.system}.jsonl"

    def run_path(self, out: Path) -> Path:
        return self.path(out).with_suffix(".run.json")


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json_if_present(path: Path) -> Any | None:
    """A JSON document that may not exist yet (a report section's input): None when the file is absent."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_cell(out: Path, cell: Cell, rows: list[dict[str, Any]], run: dict[str, Any] | None = None) -> None:
    if run is not None:
        _atomic_write(cell.run_path(out), json.dumps(run, indent=1) + "\n")
    _atomic_write(cell.path(out), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def is_done(out: Path, cell: Cell) -> bool:
    return cell.path(out).exists()


def read_cell(out: Path, cell: Cell) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Rows and run info of a finished cell (to add validation outcomes to it without recomputing it)."""
    rows = [json.loads(line) for line in cell.path(out).read_text(encoding="utf-8").splitlines() if line.strip()]
    run_path = cell.run_path(out)
    return rows, (json.loads(run_path.read_text()) if run_path.exists() else None)


def iter_cells(out: Path) -> Iterator[tuple[Cell, list[dict[str, Any]], dict[str, Any] | None]]:
    """Every finished cell with its rows and run info, in a stable order."""
    for path in sorted(out.glob("*/*/fold*/*.jsonl")):
        repo, split, fold = path.parts[-4], path.parts[-3], int(path.parts[-2].removeprefix("fold"))
        cell = Cell(repo, split, fold, path.stem)
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        run_path = cell.run_path(out)
        run = json.loads(run_path.read_text()) if run_path.exists() else None
        yield cell, rows, run
