"""The ONNX export cache stays within its disk budget, removing the exports used longest ago."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from customizer.ort import disk_budget
from customizer.ort import export as ort_export


def _export(root: Path, name: str, size: int, used: float) -> Path:
    """A fake export folder ``name`` of ``size`` bytes last used at ``used`` (seconds since the epoch)."""
    folder = root / name / "fp32"
    folder.mkdir(parents=True)
    (folder / "prefill.onnx").write_bytes(b"x" * size)
    meta = folder / "export.json"
    meta.write_text("{}")
    os.utime(meta, (used, used))
    return folder.parent


def test_least_recently_used_exports_leave_first(tmp_path: Path) -> None:
    now = time.time()
    old, older, recent = (_export(tmp_path, n, 1000, now - age) for n, age in (("old", 100), ("older", 200),
                                                                                ("recent", 10)))
    new = _export(tmp_path, "new", 1000, now)
    assert disk_budget.prune(tmp_path, keep=new, budget=2500) == [old, older]
    assert new.is_dir() and recent.is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left half-removed


def test_the_export_in_use_stays_whatever_the_budget(tmp_path: Path) -> None:
    other = _export(tmp_path, "other", 10, time.time())
    keep = _export(tmp_path, "keep", 5000, time.time() - 1000)
    assert disk_budget.prune(tmp_path, keep=keep, budget=0) == [other]
    assert keep.is_dir()


def test_using_an_export_makes_it_recent(tmp_path: Path) -> None:
    now = time.time()
    first = _export(tmp_path, "first", 1000, now - 500)
    second = _export(tmp_path, "second", 1000, now - 100)
    disk_budget.mark_used(first / "fp32")
    third = _export(tmp_path, "third", 1000, now)
    assert disk_budget.prune(tmp_path, keep=third, budget=2100) == [second]


def test_budget_from_the_environment(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(disk_budget.BUDGET_ENV, "512")
    assert disk_budget.budget_bytes() == 512 * 1024 * 1024
    monkeypatch.setenv(disk_budget.BUDGET_ENV, "0")
    assert disk_budget.budget_bytes() == 0
    monkeypatch.setenv(disk_budget.BUDGET_ENV, "lots")
    assert disk_budget.budget_bytes() == disk_budget.DEFAULT_BUDGET_MB * 1024 * 1024
    assert "is not a number of megabytes" in caplog.text
    monkeypatch.delenv(disk_budget.BUDGET_ENV)
    assert disk_budget.budget_bytes() == disk_budget.DEFAULT_BUDGET_MB * 1024 * 1024


def test_a_removal_cut_short_is_cleaned_up(tmp_path: Path) -> None:
    keep = _export(tmp_path, "keep", 10, time.time())
    leftover = tmp_path / ".gone.tmp-999999999-abc"  # its process is dead
    leftover.mkdir()
    disk_budget.prune(tmp_path, keep=keep, budget=10**9)
    assert not leftover.exists() and keep.is_dir()


def test_exporting_keeps_the_cache_within_budget(tiny_bart_dir: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A real export into a cache already over budget removes what was used longest ago, never itself."""
    from customizer.model import load_base_model

    stale = _export(tmp_path, "stale", 4096, time.time() - 3600)
    monkeypatch.setenv(disk_budget.BUDGET_ENV, "0.001")  # about 1 kB: only the export just made fits
    base = load_base_model(tiny_bart_dir, "cpu")
    written = ort_export.ensure_export(base.model, tmp_path, base.fingerprint, None)
    assert (written / "export.json").is_file() and not stale.exists()


def _overlay(root: Path, name: str, base: str, size: int, used: float) -> Path:
    """A fake overlay export ``name`` building on the export folder ``base``."""
    folder = _export(root, name, size, used)
    meta = folder / "fp32" / "export.json"
    meta.write_text(json.dumps({"overlay": {"base": f"{base}/fp32", "map": "0" * 64}}))
    os.utime(meta, (used, used))
    return folder


def test_the_base_export_of_the_overlay_in_use_stays_and_orphans_leave(tmp_path: Path) -> None:
    """An overlay is the base export's graphs with other weights: its base stays while it is used whatever the
    budget, and overlays whose base left the cache leave with it (they cannot load without it)."""
    now = time.time()
    base = _export(tmp_path, "base", 5000, now - 1000)
    other_base = _export(tmp_path, "other-base", 5000, now - 900)
    orphan = _overlay(tmp_path, "orphan", "other-base", 10, now - 5)
    keep = _overlay(tmp_path, "keep", "base", 10, now)
    assert disk_budget.prune(tmp_path, keep=keep, budget=1000) == [other_base, orphan]
    assert base.is_dir() and keep.is_dir()
