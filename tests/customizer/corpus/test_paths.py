"""Small file helpers of the corpus layout: replacing a folder, reading JSONL shards."""

from __future__ import annotations

from pathlib import Path

from customizer.corpus.jsonl import read_jsonl_files, write_jsonl
from customizer.corpus.paths import replace_dir


def _folder(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "f.txt").write_text(text)
    return path


def test_replace_dir_puts_the_new_folder_in_place_with_or_without_an_old_one(tmp_path: Path) -> None:
    target = tmp_path / "final"
    replace_dir(_folder(tmp_path / "new1", "one"), target)
    assert (target / "f.txt").read_text() == "one"
    replace_dir(_folder(tmp_path / "new2", "two"), target)
    assert (target / "f.txt").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final"]  # nothing left aside


def test_read_jsonl_files_reads_the_shards_in_order(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", [{"i": 0}, {"i": 1}])
    write_jsonl(tmp_path / "b.jsonl", [{"i": 2}])
    assert [r["i"] for r in read_jsonl_files([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])] == [0, 1, 2]
