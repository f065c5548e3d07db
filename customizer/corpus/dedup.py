"""Exact and near-duplicate detection for (focal, test) pairs, and text hashes for decontamination.

* exact: same whitespace-normalized focal body + test body;
* near: within one focal signature, tests whose code-token 5-shingle sets have Jaccard ≥ 0.9
  (the first pair in input order is kept). Sets are compared only when their sizes allow
  Jaccard ≥ threshold (``min/max ≥ threshold``), which keeps large groups tractable.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SHINGLE = 5
NEAR_THRESHOLD = 0.9
_WS = re.compile(r"\s+")
_TOKEN = re.compile(
    r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|[A-Za-z_$][\w$]*|\d[\w.]*|==|!=|<=|>=|&&|\|\||->|::|\S'
)


def normalize(code: str) -> str:
    """Whitespace runs collapsed to one space, ends stripped."""
    return _WS.sub(" ", code).strip()


def text_hash(code: str) -> str:
    """sha1 (hex) of the whitespace-normalized text."""
    return hashlib.sha1(normalize(code).encode("utf-8", errors="replace")).hexdigest()


def code_tokens(code: str) -> list[str]:
    """Regex code tokens: string/char literals, identifiers, numbers, common operators, single symbols."""
    return _TOKEN.findall(code)


def shingles(code: str, k: int = SHINGLE) -> frozenset[int]:
    """Hashed ``k``-shingles of the code tokens (the whole token list when shorter than ``k``)."""
    tokens = code_tokens(code)
    if len(tokens) < k:
        return frozenset({hash(tuple(tokens))})
    return frozenset(hash(tuple(tokens[i : i + k])) for i in range(len(tokens) - k + 1))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def pair_key(pair: dict[str, Any]) -> str:
    """Exact-duplicate key: hash of normalized focal body + NUL + normalized test body."""
    text = normalize(pair["focal"]["body"]) + "\0" + normalize(pair["test"]["body"])
    return hashlib.sha1(text.encode("utf-8", errors="replace")).hexdigest()


@dataclass
class DedupResult:
    kept: list[dict[str, Any]]
    exact: int
    near: int


def dedup_exact(pairs: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Keep the first pair of each exact key; return (kept, dropped count)."""
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    dropped = 0
    for pair in pairs:
        key = pair_key(pair)
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        kept.append(pair)
    return kept, dropped


def near_duplicate_indices(tests: Sequence[str], threshold: float = NEAR_THRESHOLD) -> set[int]:
    """Indices of tests that are near-duplicates (Jaccard ≥ ``threshold``) of an earlier kept test."""
    sets = [shingles(t) for t in tests]
    kept_sizes: list[int] = []  # sizes of kept sets, sorted
    kept_ids: list[int] = []  # kept indices, parallel to kept_sizes
    dropped: set[int] = set()
    for i, current in enumerate(sets):
        size = len(current)
        lo = bisect.bisect_left(kept_sizes, math.ceil(size * threshold - 1e-9))
        hi = bisect.bisect_right(kept_sizes, math.floor(size / threshold + 1e-9))
        if any(jaccard(current, sets[kept_ids[k]]) >= threshold for k in range(lo, hi)):
            dropped.add(i)
            continue
        pos = bisect.bisect_right(kept_sizes, size)
        kept_sizes.insert(pos, size)
        kept_ids.insert(pos, i)
    return dropped


def dedup_near(pairs: Sequence[dict[str, Any]], threshold: float = NEAR_THRESHOLD) -> tuple[list[dict[str, Any]], int]:
    """Drop near-duplicate tests within each focal signature; input order decides which one stays."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(pairs):
        groups[normalize(pair["focal"]["signature"])].append(i)
    dropped: set[int] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        local = near_duplicate_indices([pairs[i]["test"]["body"] for i in members], threshold)
        dropped.update(members[k] for k in local)
    return [p for i, p in enumerate(pairs) if i not in dropped], len(dropped)


def dedup_pairs(pairs: Iterable[dict[str, Any]], threshold: float = NEAR_THRESHOLD) -> DedupResult:
    """Exact de-duplication, then near de-duplication."""
    exact_kept, exact = dedup_exact(pairs)
    kept, near = dedup_near(exact_kept, threshold)
    return DedupResult(kept, exact, near)
