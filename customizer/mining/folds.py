"""Deterministic k-fold and train/validation splits of mined pairs.

Groups keep related pairs together: ``method`` = all tests of one focal method (file + signature) in one
fold, the case of a method without tests yet; ``class`` = all tests of one focal class; ``random`` = every
pair on its own (the paper's split). Assignment depends only on the pairs' contents and the seed, never on
the input order: groups are ordered by a seeded sha1 of their key, then each goes to the fold with the
fewest pairs so far (ties: lowest fold index), which keeps folds balanced.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Literal

from customizer.errors import DatasetTooSmallError
from customizer.mining.pairs import Pair

Group = Literal["method", "class", "random"]
GROUPS: tuple[str, ...] = ("method", "class", "random")

_GROUP_KEYS: dict[str, Callable[[Pair], str]] = {
    "method": lambda p: p.focal_key,
    "class": lambda p: p.focal_class_key,
    "random": lambda p: p.id,
}
_GROUP_WORDS = {"method": "focal methods", "class": "focal classes", "random": "pairs"}


def _key_function(group: str) -> Callable[[Pair], str]:
    try:
        return _GROUP_KEYS[group]
    except KeyError:
        raise ValueError(f"unknown split group {group!r}; use one of {', '.join(GROUPS)}") from None


def _digest(seed: int, key: str) -> str:
    return hashlib.sha1(f"{seed}\0{key}".encode()).hexdigest()


def _groups(pairs: Iterable[Pair], group: str, seed: int) -> list[list[Pair]]:
    """Pairs grouped by key; groups in seeded-hash order, pairs inside a group by id."""
    key_of = _key_function(group)
    by_key: dict[str, dict[str, Pair]] = defaultdict(dict)
    for pair in pairs:
        by_key[key_of(pair)][pair.id] = pair
    ordered = sorted(by_key, key=lambda k: (_digest(seed, k), k))
    return [[members[i] for i in sorted(members)] for members in (by_key[k] for k in ordered)]


def split_folds(pairs: Iterable[Pair], k: int = 4, seed: int = 0, group: Group | str = "method") -> list[list[Pair]]:
    """``k`` disjoint folds covering all pairs; the same for the same pairs whatever their order."""
    if k < 2:
        raise ValueError(f"k-fold needs k >= 2, got {k}")
    groups = _groups(pairs, group, seed)
    n_pairs = sum(len(g) for g in groups)
    needed_pairs = 2 * k
    if len(groups) < k or n_pairs < needed_pairs:
        raise DatasetTooSmallError(
            f"{k}-fold split by {group} needs at least {needed_pairs} pairs in at least {k} "
            f"{_GROUP_WORDS[group]}, found {n_pairs} pairs in {len(groups)}; "
            "add tests to the repository or use fewer folds"
        )
    folds: list[list[Pair]] = [[] for _ in range(k)]
    for members in groups:
        target = min(range(k), key=lambda i: (len(folds[i]), i))
        folds[target].extend(members)
    return folds


def train_val_split(
    pairs: Iterable[Pair], val_fraction: float = 0.1, seed: int = 0, group: Group | str = "method"
) -> tuple[list[Pair], list[Pair]]:
    """(train, val): whole groups go to validation, in seeded-hash order, up to ``val_fraction`` of the pairs.

    Groups that would overshoot the target are passed over; at least one group goes to validation (the
    smallest if all overshoot) and at least one stays for training.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    groups = _groups(pairs, group, seed)
    n_pairs = sum(len(g) for g in groups)
    if len(groups) < 2:
        raise DatasetTooSmallError(
            f"training needs pairs of at least 2 {_GROUP_WORDS[group]} (1 for validation), found {n_pairs} "
            f"pairs in {len(groups)}; add tests to the repository"
        )
    target = max(1, math.ceil(val_fraction * n_pairs))
    chosen: set[int] = set()
    size = 0
    for index, members in enumerate(groups):
        if len(chosen) == len(groups) - 1 or size >= target:
            break
        if size + len(members) <= target:
            chosen.add(index)
            size += len(members)
    if not chosen:  # every group is larger than the target: take the smallest one
        chosen.add(min(range(len(groups)), key=lambda i: (len(groups[i]), i)))
    val = [p for i, members in enumerate(groups) if i in chosen for p in members]
    train = [p for i, members in enumerate(groups) if i not in chosen for p in members]
    return train, val
