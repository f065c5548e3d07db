from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from customizer.errors import DatasetTooSmallError
from customizer.java.context import FocalContext
from customizer.mining.folds import split_folds, train_val_split
from customizer.mining.pairs import (
    DatasetFormatError,
    FocalMethod,
    Pair,
    TestMethod,
    normalize_pairs,
    pair_id,
    read_pairs,
    write_pairs,
)


def make_pair(focal_class: str, focal_method: str, test_method: str, body: str = "") -> Pair:
    focal_file = f"src/main/java/{focal_class}.java"
    test_file = f"src/test/java/{focal_class}Test.java"
    signature = f"public void {focal_method}()"
    return Pair(
        id=pair_id(test_file, f"void {test_method}()", focal_file, signature),
        repo="r", commit="c" * 40, heuristic="name",
        focal=FocalMethod(file=focal_file, class_=focal_class, method=focal_method, signature=signature,
                          body=f"{signature} {{ }}", byte_range=(10, 40), line=3),
        context=FocalContext(focal_class, [f"public {focal_class}()"], [], ["private int x;"]),
        test=TestMethod(file=test_file, class_=f"{focal_class}Test", method=test_method,
                        body=body or f"@Test void {test_method}() {{ {focal_method}(); }}"),
    )


def dataset(classes: int = 5, methods: int = 3, tests: int = 2) -> list[Pair]:
    return [make_pair(f"C{c}", f"m{m}", f"test{m}_{t}")
            for c in range(classes) for m in range(methods) for t in range(tests)]


def test_json_round_trip_matches_the_documented_layout(tmp_path: Path) -> None:
    pair = make_pair("Foo", "bar", "testBar")
    data = pair.to_dict()
    assert list(data) == ["id", "repo", "commit", "heuristic", "focal", "context", "test"]
    assert list(data["focal"]) == ["file", "class", "method", "signature", "body", "byte_range", "line"]
    assert list(data["context"]) == ["class_name", "constructors", "methods", "fields"]
    assert list(data["test"]) == ["file", "class", "method", "body"]
    assert data["focal"]["byte_range"] == [10, 40]
    assert Pair.from_dict(json.loads(json.dumps(data))) == pair
    out = write_pairs(tmp_path / "pairs.jsonl", [pair])
    assert read_pairs(out) == [pair]
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_pair_id_is_stable() -> None:
    assert pair_id("a", "b", "c", "d") == pair_id("a", "b", "c", "d")
    assert pair_id("a", "b", "c", "d") != pair_id("a", "b", "c", "e")
    assert pair_id("a", "b", "c", "d") == hashlib.sha1(b"a\0b\0c\0d").hexdigest()[:16]


def test_normalize_orders_and_drops_duplicate_bodies() -> None:
    a = make_pair("Foo", "bar", "testBar")
    b = make_pair("Foo", "bar", "testBarAgain", body=a.test.body)
    c = make_pair("Abc", "x", "testX")
    assert normalize_pairs([b, a, c, a]) == [c, a]


def test_read_pairs_rejects_garbage(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    with pytest.raises(DatasetFormatError, match=r"bad\.jsonl:1 is not a mined pair"):
        read_pairs(bad)
    with pytest.raises(DatasetFormatError, match="does not exist"):
        read_pairs(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("group", ["method", "class", "random"])
def test_folds_are_independent_of_input_order(group: str) -> None:
    pairs = dataset()
    shuffled = list(pairs)
    random.Random(1).shuffle(shuffled)
    first = split_folds(pairs, k=4, group=group)
    assert first == split_folds(shuffled, k=4, group=group)
    assert sorted(p.id for fold in first for p in fold) == sorted(p.id for p in pairs)
    assert all(fold for fold in first)
    assert max(map(len, first)) - min(map(len, first)) <= {"method": 2, "class": 6, "random": 1}[group]


def test_seed_changes_the_assignment() -> None:
    pairs = dataset()
    assert split_folds(pairs, seed=0, group="random") != split_folds(pairs, seed=1, group="random")


@pytest.mark.parametrize(("group", "key"), [("method", "focal_key"), ("class", "focal_class_key")])
def test_groups_never_span_folds(group: str, key: str) -> None:
    folds = split_folds(dataset(), k=4, group=group)
    owner: dict[str, int] = {}
    for index, fold in enumerate(folds):
        for pair in fold:
            assert owner.setdefault(getattr(pair, key), index) == index


def test_too_few_pairs_for_folds() -> None:
    with pytest.raises(DatasetTooSmallError, match="needs at least 8 pairs in at least 4 focal methods"):
        split_folds(dataset(classes=1, methods=3, tests=3), k=4, group="method")


def test_train_val_split_keeps_groups_whole() -> None:
    pairs = dataset(classes=5, methods=4, tests=2)
    train, val = train_val_split(pairs, val_fraction=0.1)
    assert (train, val) == train_val_split(list(reversed(pairs)), val_fraction=0.1)
    assert len(val) == 4 and len(train) == 36
    assert not {p.focal_key for p in train} & {p.focal_key for p in val}


def test_train_val_split_needs_two_groups() -> None:
    with pytest.raises(DatasetTooSmallError, match="at least 2 focal methods"):
        train_val_split(dataset(classes=1, methods=1, tests=5))
    train, val = train_val_split(dataset(classes=1, methods=2, tests=5), val_fraction=0.1)
    assert len(train) == 5 and len(val) == 5
