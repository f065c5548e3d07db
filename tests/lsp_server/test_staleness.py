"""When autoCustomize re-trains: no adapter, 50+ commits since the adapter's HEAD, or 20%/8+ more mined pairs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitrepos import git

from customizer.adapters import AdapterMeta
from lsp_server.pipeline import head_commit
from lsp_server.staleness import STALE_COMMITS, commits_since, pairs_grew, reason_to_customize


def meta_at(head: str, pairs: int) -> AdapterMeta:
    return AdapterMeta(repo_key="k", repo_name="ops", worktree="/w", strategy="l-ldb", base_fingerprint="f",
                       base_model="b", dataset_size=pairs, git_head=head)


def empty_commits(repo: Path, n: int) -> None:
    for i in range(n):
        git(repo, "commit", "-q", "--allow-empty", "-m", f"c{i}")


def test_no_adapter_is_a_reason(ops_repo: Path) -> None:
    assert reason_to_customize(ops_repo, None, head_commit(ops_repo)) == "no adapter yet"


def test_adapter_at_head_is_fresh(ops_repo: Path) -> None:
    head = head_commit(ops_repo)
    assert reason_to_customize(ops_repo, meta_at(head, 1), head) is None  # not even mined: HEAD is the same


def test_many_commits_make_it_stale(ops_repo: Path) -> None:
    trained_at = head_commit(ops_repo)
    empty_commits(ops_repo, STALE_COMMITS - 1)
    head = head_commit(ops_repo)
    assert commits_since(ops_repo, trained_at) == STALE_COMMITS - 1
    assert reason_to_customize(ops_repo, meta_at(trained_at, 12), head) is None  # 49 commits, same 12 pairs
    empty_commits(ops_repo, 1)
    reason = reason_to_customize(ops_repo, meta_at(trained_at, 12), head_commit(ops_repo))
    assert reason == f"{STALE_COMMITS} commits since the adapter was trained"


def test_mined_pair_growth_makes_it_stale(ops_repo: Path) -> None:
    empty_commits(ops_repo, 1)
    head = head_commit(ops_repo)
    trained_at = subprocess.run(["git", "-C", str(ops_repo), "rev-parse", "HEAD~1"], capture_output=True,
                                text=True, check=True).stdout.strip()
    # the ops repository mines 12 pairs
    assert reason_to_customize(ops_repo, meta_at(trained_at, 12), head) is None
    assert reason_to_customize(ops_repo, meta_at(trained_at, 5), head) is None  # 7 new: fewer than 8
    assert reason_to_customize(ops_repo, meta_at(trained_at, 4), head) == (
        "8 more test–method pairs than the adapter was trained on (4 → 12)")


def test_unknown_adapter_head_is_judged_by_pairs(ops_repo: Path) -> None:
    head = head_commit(ops_repo)
    unknown = "0123456789abcdef0123456789abcdef01234567"
    assert commits_since(ops_repo, unknown) is None
    assert reason_to_customize(ops_repo, meta_at(unknown, 12), head) is None
    assert reason_to_customize(ops_repo, meta_at(unknown, 0), head) is not None


def test_pair_growth_threshold() -> None:
    assert pairs_grew(0, 8) and not pairs_grew(0, 7)
    assert pairs_grew(100, 120) and not pairs_grew(100, 119)  # 20% of 100
    assert not pairs_grew(12, 19) and pairs_grew(12, 20)
    assert not pairs_grew(50, 40)
