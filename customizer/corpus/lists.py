"""The two package lists of ``corpus/`` and the rule that guards them.

Only packages of ``pretrain-packages.txt`` may feed the base model; ``dev-eval-packages.txt`` is the
development evaluation set and must never be trained on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from customizer.corpus.errors import CorpusError, PackageNotAllowedError

PRETRAIN_FILE = "pretrain-packages.txt"
DEV_EVAL_FILE = "dev-eval-packages.txt"


def default_lists_dir() -> Path:
    """``$TESTTAILOR_CORPUS_LISTS`` or the repository's ``corpus/`` folder."""
    env = os.environ.get("TESTTAILOR_CORPUS_LISTS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "corpus"


def read_list(path: Path) -> list[str]:
    """Package names, one a line; blank lines and ``#`` comments ignored; order kept."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CorpusError(f"package list {path} not found; pass --lists-dir pointing at the corpus/ folder") from None
    names = [line.split("#", 1)[0].strip() for line in lines]
    return [n for n in names if n]


@dataclass(frozen=True)
class PackageLists:
    pretrain: tuple[str, ...]
    dev_eval: tuple[str, ...]

    @classmethod
    def load(cls, lists_dir: Path | None = None) -> PackageLists:
        folder = lists_dir or default_lists_dir()
        lists = cls(tuple(read_list(folder / PRETRAIN_FILE)), tuple(read_list(folder / DEV_EVAL_FILE)))
        overlap = sorted(set(lists.pretrain) & set(lists.dev_eval))
        if overlap:
            raise CorpusError(f"{', '.join(overlap)} on both package lists in {folder}; remove from one")
        return lists

    def check_pretrain(self, package: str) -> None:
        """Raise unless ``package`` may be used for training."""
        if package in self.dev_eval:
            raise PackageNotAllowedError(
                f"{package} is a dev-eval package ({DEV_EVAL_FILE}); it must never be used for training"
            )
        if package not in self.pretrain:
            raise PackageNotAllowedError(
                f"{package} is not in {PRETRAIN_FILE}; only listed packages may be used for training"
            )

    def check_known(self, package: str) -> None:
        """Raise unless ``package`` is on one of the two lists (what may be fetched at all)."""
        if package not in self.pretrain and package not in self.dev_eval:
            raise PackageNotAllowedError(
                f"{package} is on neither {PRETRAIN_FILE} nor {DEV_EVAL_FILE}; no other package may be used"
            )
