"""Fixture repositories for the miner: real git repositories built in temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitrepos import MakeRepo, repo_maker


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """``make_repo(files, name="repo", commit=True)`` → root of a fresh git repository holding ``files``."""
    return repo_maker(tmp_path)
