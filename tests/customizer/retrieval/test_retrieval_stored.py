"""The HEAD+status key that says whether a retrieval index is fresh: it moves exactly when mined pairs may."""

from __future__ import annotations

from pathlib import Path

from gitrepos import calculator_repo, git

from customizer.retrieval.stored import worktree_state

TEST = "src/test/java/org/example/CalculatorTest.java"


def test_key_changes_with_java_edits_and_commits_only(tmp_path: Path) -> None:
    repo = calculator_repo(tmp_path / "calc")
    root, key = worktree_state(repo / "src")  # any path inside the work tree
    assert root == repo.resolve() and worktree_state(repo) == (root, key)

    (repo / "README.md").write_text("edited\n")  # not Java: mining reads only tracked .java files
    (repo / "Untracked.java").write_text("class Untracked {}\n")  # untracked: not mined either
    assert worktree_state(repo)[1] == key

    test_file = repo / TEST
    test_file.write_text(test_file.read_text() + "\n// more\n")
    edited = worktree_state(repo)[1]
    assert edited != key

    git(repo, "commit", "-qam", "edit")  # same files, new HEAD
    committed = worktree_state(repo)[1]
    assert committed not in (key, edited)

    git(repo, "add", "Untracked.java")  # a newly tracked Java file
    assert worktree_state(repo)[1] != committed


def test_key_changes_with_the_miner(tmp_path: Path, monkeypatch) -> None:
    # an upgraded TestTailor whose miner maps tests differently must not reuse pairs the old one stored
    import customizer.mining.version as version

    repo = calculator_repo(tmp_path / "calc")
    key = worktree_state(repo)[1]
    monkeypatch.setattr(version, "miner_fingerprint", lambda: "another-miner")
    assert worktree_state(repo)[1] != key
