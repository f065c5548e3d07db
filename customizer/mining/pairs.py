"""A (focal method, test method) pair and its JSONL file format (one pair per line).

The JSON layout is fixed in ``docs/architecture.md``. Ids are stable across runs and machines:
sha1 of the repo-relative test file, test method signature, focal file and focal signature (16 hex).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from customizer.errors import DatasetFormatError, StorageError
from customizer.java.context import FocalContext


@dataclass(frozen=True)
class FocalMethod:
    file: str
    class_: str
    method: str
    signature: str
    body: str
    byte_range: tuple[int, int]
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "class": self.class_, "method": self.method, "signature": self.signature,
                "body": self.body, "byte_range": list(self.byte_range), "line": self.line}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FocalMethod:
        start, end = data["byte_range"]
        return cls(file=data["file"], class_=data["class"], method=data["method"],
                   signature=data["signature"], body=data["body"], byte_range=(int(start), int(end)),
                   line=int(data["line"]))


@dataclass(frozen=True)
class TestMethod:
    __test__ = False  # not a pytest test class

    file: str
    class_: str
    method: str
    body: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "class": self.class_, "method": self.method, "body": self.body}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestMethod:
        return cls(file=data["file"], class_=data["class"], method=data["method"], body=data["body"])


@dataclass(frozen=True)
class Pair:
    """One mined (focal method, test method) pair; ``heuristic`` is ``name``, ``name_prefix`` or ``unique_call``."""

    id: str
    repo: str
    commit: str
    heuristic: str
    focal: FocalMethod
    context: FocalContext
    test: TestMethod

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "repo": self.repo, "commit": self.commit, "heuristic": self.heuristic,
                "focal": self.focal.to_dict(), "context": self.context.to_dict(), "test": self.test.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pair:
        return cls(id=data["id"], repo=data["repo"], commit=data["commit"], heuristic=data["heuristic"],
                   focal=FocalMethod.from_dict(data["focal"]), context=FocalContext.from_dict(data["context"]),
                   test=TestMethod.from_dict(data["test"]))

    @property
    def focal_key(self) -> str:
        """Identifies the focal method: file + signature."""
        return f"{self.focal.file}#{self.focal.signature}"

    @property
    def focal_class_key(self) -> str:
        return f"{self.focal.file}#{self.focal.class_}"


def pair_id(test_file: str, test_signature: str, focal_file: str, focal_signature: str) -> str:
    """Stable id: first 16 hex digits of sha1 over the four parts (NUL-separated)."""
    key = "\0".join((test_file, test_signature, focal_file, focal_signature))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def sort_key(pair: Pair) -> tuple[str, str, str, str, str, str]:
    return (pair.test.file, pair.test.class_, pair.test.method, pair.focal.file, pair.focal.signature, pair.id)


def normalize_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """Deterministic order; drops repeated ids and repeated (test body, focal body), keeping the first by order."""
    result: list[Pair] = []
    seen_ids: set[str] = set()
    seen_bodies: set[tuple[str, str]] = set()
    for pair in sorted(pairs, key=sort_key):
        bodies = (pair.test.body, pair.focal.body)
        if pair.id in seen_ids or bodies in seen_bodies:
            continue
        seen_ids.add(pair.id)
        seen_bodies.add(bodies)
        result.append(pair)
    return result


def pairs_to_jsonl(pairs: Iterable[Pair]) -> str:
    return "".join(json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=False) + "\n" for p in pairs)


def write_pairs(path: str | os.PathLike[str], pairs: Iterable[Pair]) -> Path:
    """Write pairs as JSONL atomically (temporary sibling + ``os.replace``); returns the path."""
    target = Path(path).expanduser()
    text = pairs_to_jsonl(pairs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise StorageError(f"cannot write {target} ({exc.strerror}); choose a writable --out path") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StorageError(f"cannot write {target} ({exc.strerror}); free space or choose another path") from exc
    return target


def read_pairs(path: str | os.PathLike[str]) -> list[Pair]:
    """Read a JSONL file written by :func:`write_pairs`."""
    source = Path(path).expanduser()
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise DatasetFormatError(f"{source} does not exist; create it with `testtailor mine REPO --out "
                                 f"{source}`") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetFormatError(f"cannot read {source} ({exc}); regenerate it with `testtailor mine`") from exc
    pairs: list[Pair] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            pairs.append(Pair.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetFormatError(f"{source}:{number} is not a mined pair ({type(exc).__name__}: {exc}); "
                                     "regenerate the file with `testtailor mine`") from exc
    return pairs

