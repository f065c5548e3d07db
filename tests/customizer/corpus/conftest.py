"""Fixtures for the corpus tests: a private cache root and small package lists (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from customizer.corpus.lists import PackageLists


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("TESTTAILOR_DEV_CACHE", str(root))
    return root


@pytest.fixture
def lists_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "pretrain-packages.txt").write_text("alpha\nbeta\n# comment\ngamma\n")
    (folder / "dev-eval-packages.txt").write_text("evalpkg\n")
    return folder


@pytest.fixture
def lists(lists_dir: Path) -> PackageLists:
    return PackageLists.load(lists_dir)
