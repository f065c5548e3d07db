"""Where corpus data lives: outside the work tree, under ``~/.cache/testtailor-dev/`` by default.

Override the root with ``TESTTAILOR_DEV_CACHE`` (tests point it at a temporary directory).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cache_root() -> Path:
    """The root of all development data (``$TESTTAILOR_DEV_CACHE`` or ``~/.cache/testtailor-dev``)."""
    env = os.environ.get("TESTTAILOR_DEV_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "testtailor-dev"


@dataclass(frozen=True)
class DebianLayout:
    """``debian/repos/<pkg>/`` git repositories, ``debian/src/`` tarballs, ``debian/status/<pkg>.json``."""

    root: Path

    @property
    def repos(self) -> Path:
        return self.root / "repos"

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def status(self) -> Path:
        return self.root / "status"

    def repo(self, package: str) -> Path:
        return self.repos / package

    def status_file(self, package: str) -> Path:
        return self.status / f"{package}.json"


@dataclass(frozen=True)
class CorpusLayout:
    """``corpus/pairs/<pkg>.jsonl``, ``corpus/methods/<pkg>.jsonl``, ``corpus/done/``, ``corpus/final/``."""

    root: Path

    @property
    def pairs(self) -> Path:
        return self.root / "pairs"

    @property
    def methods(self) -> Path:
        return self.root / "methods"

    @property
    def done(self) -> Path:
        return self.root / "done"

    @property
    def final(self) -> Path:
        return self.root / "final"

    @property
    def log(self) -> Path:
        return self.root / "build.log"

    def done_file(self, package: str) -> Path:
        return self.done / f"{package}.json"


def debian_layout(root: Path | None = None) -> DebianLayout:
    return DebianLayout((root or cache_root()) / "debian")


def corpus_layout(root: Path | None = None) -> CorpusLayout:
    return CorpusLayout((root or cache_root()) / "corpus")


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary sibling and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_dir(new: Path, target: Path) -> None:
    """Put the folder ``new`` in the place of ``target`` (which may not exist): the old folder is renamed aside
    (``<target>.old``) and deleted after, so ``target`` is missing only between two renames."""
    aside = target.with_name(target.name + ".old")
    shutil.rmtree(aside, ignore_errors=True)
    if target.exists():
        target.replace(aside)
    new.replace(target)
    shutil.rmtree(aside, ignore_errors=True)


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> Any | None:
    """The JSON in ``path``, or ``None`` when it is missing or truncated."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
