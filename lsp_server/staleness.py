"""When ``autoCustomize`` should (re)train: no adapter yet, or HEAD has moved far from the adapter's.

"Far" is measured two ways, cheapest first, so that a busy repository is re-customized about as often as its
tests change and a quiet one never is:

- **commits**: ``STALE_COMMITS`` (50) or more commits from the adapter's ``git_head`` to HEAD (one
  ``git rev-list --count``). Fifty commits is a few weeks of a small team's work; the conventions and the code the
  tests call have usually drifted by then even if the tests did not grow much.
- **mined-pair growth**: the repository is mined again (as ``customize-project`` does) and now has at least
  ``STALE_MIN_NEW_PAIRS`` (8, the smallest dataset customization accepts) and at least ``STALE_PAIR_GROWTH``
  (20%) more test–method pairs than the adapter was trained on: that much new training data is worth a re-run.

Mining is skipped while HEAD is still the adapter's commit, and callers check each (repository, HEAD) once.
An adapter whose ``git_head`` is not in the repository (history rewritten, or imported from a colleague) is judged
by pair growth alone.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

from customizer.errors import TestTailorError

logger = logging.getLogger(__name__)
STALE_COMMITS = 50
STALE_PAIR_GROWTH = 0.2
STALE_MIN_NEW_PAIRS = 8


def commits_since(repo: Path, commit: str) -> int | None:
    """How many commits HEAD is ahead of ``commit``; None when either is unknown to the repository."""
    if not commit:
        return None
    try:
        done = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", f"{commit}..HEAD"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return int(out) if done.returncode == 0 and out.isdigit() else None


def pairs_grew(before: int, now: int) -> bool:
    """Enough new test–method pairs to re-customize (see the module docstring)."""
    new = now - before
    return new >= STALE_MIN_NEW_PAIRS and new >= STALE_PAIR_GROWTH * before


def mined_pairs(repo: Path) -> int | None:
    """The number of pairs mining finds now; None when the repository cannot be mined."""
    from customizer.mining.miner import mine_repository

    try:
        return len(mine_repository(repo).pairs)
    except TestTailorError as exc:
        logger.info("autoCustomize: cannot mine %s: %s", repo, exc)
        return None


def reason_to_customize(repo: Path, meta: Any, head: str) -> str | None:
    """Why ``repo`` (at commit ``head``) should be customized in the background, or None.

    ``meta`` is the adapter's ``AdapterMeta`` (None: there is none). Slow (git, maybe mining): call it in a thread.
    """
    if meta is None:
        return "no adapter yet"
    trained_at = str(getattr(meta, "git_head", "") or "")
    if head and trained_at == head:
        return None
    commits = commits_since(repo, trained_at)
    if commits is not None and commits >= STALE_COMMITS:
        return f"{commits} commits since the adapter was trained"
    before = int(getattr(meta, "dataset_size", 0) or 0)
    now = mined_pairs(repo)
    if now is not None and pairs_grew(before, now):
        return f"{now - before} more test–method pairs than the adapter was trained on ({before} → {now})"
    return None
