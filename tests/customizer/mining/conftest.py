"""Fixture repositories for the miner: real git repositories built in temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from mining_helpers import MakeRepo, git, write_files


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """``make_repo(files, name="repo", commit=True)`` → root of a fresh git repository holding ``files``."""
    counter = 0

    def make(files: dict[str, str | bytes], name: str | None = None, commit: bool = True) -> Path:
        nonlocal counter
        counter += 1
        root = tmp_path / (name or f"repo{counter}")
        root.mkdir()
        write_files(root, files)
        git(root, "init", "-q", "-b", "main")
        if commit:
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "init", "--allow-empty")
        return root

    return make
