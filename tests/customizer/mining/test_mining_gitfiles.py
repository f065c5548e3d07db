from __future__ import annotations

import os
from pathlib import Path

import pytest
from gitrepos import MakeRepo, git

from customizer.errors import NotAGitRepositoryError
from customizer.mining.gitfiles import list_java_files


def test_lists_tracked_java_files_from_any_path_inside(make_repo: MakeRepo) -> None:
    root = make_repo({"src/A.java": "class A {}", "src/b/B.java": "class B {}", "README.md": "x"})
    (root / "src" / "Untracked.java").write_text("class U {}")
    files = list_java_files(root / "src" / "b")
    assert files.root == root.resolve()
    assert [s.path for s in files.sources] == ["src/A.java", "src/b/B.java"]
    assert files.tracked_files == 3
    assert len(files.commit) == 40
    assert files.name == root.name


def test_working_tree_contents_count_for_tracked_files(make_repo: MakeRepo) -> None:
    root = make_repo({"A.java": "class A {}", "B.java": "class B {}"})
    (root / "A.java").write_text("class A { int x; }")
    (root / "B.java").unlink()
    files = list_java_files(root)
    assert [s.text for s in files.sources] == ["class A { int x; }"]
    assert files.missing == 1


def test_undecodable_bytes_are_replaced_and_counted(make_repo: MakeRepo) -> None:
    root = make_repo({"A.java": b"class A { String s = \"caf\xe9\"; }"})
    files = list_java_files(root)
    assert files.undecodable == 1
    assert files.sources[0].lossy
    assert "\ufffd" in files.sources[0].text


def test_symlinks_are_never_followed(make_repo: MakeRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Secret.java").write_text("class Secret {}")
    root = make_repo({"A.java": "class A {}"})
    os.symlink(outside / "Secret.java", root / "Link.java")
    os.symlink(outside, root / "linkdir")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "links")
    files = list_java_files(root)
    assert [s.path for s in files.sources] == ["A.java"]
    assert files.symlinks == 1
    assert all("Secret" not in s.text for s in files.sources)


def test_huge_files_are_skipped(make_repo: MakeRepo) -> None:
    root = make_repo({"A.java": "class A {}", "Gen.java": "class Gen {" + " " * 3000 + "}"})
    files = list_java_files(root, max_bytes=2000)
    assert [s.path for s in files.sources] == ["A.java"]
    assert files.huge == 1


def test_repository_without_commits_lists_the_index(make_repo: MakeRepo) -> None:
    root = make_repo({"A.java": "class A {}"}, commit=False)
    git(root, "add", "A.java")
    files = list_java_files(root)
    assert files.commit == ""
    assert [s.path for s in files.sources] == ["A.java"]


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NotAGitRepositoryError, match="is not inside a git repository; run `git init"):
        list_java_files(plain)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NotAGitRepositoryError, match="does not exist"):
        list_java_files(tmp_path / "nope")
