from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from customizer.corpus.build import BUILT, build_all, build_package
from customizer.corpus.debian import make_repo, orig_tarballs
from customizer.corpus.errors import CorpusError, PackageNotAllowedError
from customizer.corpus.lists import PackageLists
from customizer.corpus.paths import atomic_write_json, corpus_layout, debian_layout

from .test_debian import _fake_source_package


def _never(repo: Path) -> Any:
    raise AssertionError("the miner must not run")


@pytest.mark.parametrize("package", ["evalpkg", "unlisted"])
def test_build_refuses_dev_eval_and_unlisted_packages(cache: Path, lists: PackageLists, package: str) -> None:
    with pytest.raises(PackageNotAllowedError, match=package):
        build_package(package, lists, miner=_never)
    with pytest.raises(PackageNotAllowedError):
        build_all(["alpha", package], lists)
    assert not corpus_layout().root.exists() or not list(corpus_layout().root.rglob("*.jsonl"))


def test_dev_eval_message_says_never_train(lists: PackageLists) -> None:
    with pytest.raises(PackageNotAllowedError, match="must never be used for training"):
        lists.check_pretrain("evalpkg")
    lists.check_pretrain("beta")


def test_package_with_done_marker_is_skipped(cache: Path, lists: PackageLists) -> None:
    marker = {"package": "alpha", "status": BUILT, "pairs": 7, "methods": 3}
    atomic_write_json(corpus_layout().done_file("alpha"), marker)
    assert build_package("alpha", lists, miner=_never) == marker
    assert build_all(["alpha"], lists) == []


def test_build_package_writes_pairs_methods_and_marker(cache: Path, lists: PackageLists, tmp_path: Path) -> None:
    layout = debian_layout()
    make_repo("beta", orig_tarballs(_fake_source_package(tmp_path / "dl")), layout.repo("beta"))
    pair = SimpleNamespace(to_dict=lambda: {"id": "x", "focal": {"body": "f"}, "test": {"body": "t"}})
    result = SimpleNamespace(pairs=[pair], summary=SimpleNamespace(to_dict=lambda: {"pairs": 1}))
    marker = build_package("beta", lists, miner=lambda repo: result)
    assert marker["status"] == BUILT and marker["pairs"] == 1 and marker["methods"] == 1
    corpus = corpus_layout()
    rows = [json.loads(line) for line in (corpus.pairs / "beta.jsonl").read_text().splitlines()]
    assert rows == [{"id": "x", "focal": {"body": "f"}, "test": {"body": "t"}, "package": "beta"}]
    methods = [json.loads(line) for line in (corpus.methods / "beta.jsonl").read_text().splitlines()]
    assert [m["method"] for m in methods] == ["one"]  # Extra.java has no method; short ones are dropped
    assert json.loads(corpus.done_file("beta").read_text())["mining"] == {"pairs": 1}



def test_cli_refuses_dev_eval_and_unlisted_packages(cache: Path, lists_dir: Path) -> None:
    import argparse

    from customizer.cli import corpus as corpus_cli

    parser = argparse.ArgumentParser()
    corpus_cli.register(parser.add_subparsers())
    for argv in (["build", "evalpkg"], ["build", "--dev-eval", "alpha"], ["fetch", "nowhere"]):
        args = parser.parse_args(["corpus", *argv, "--lists-dir", str(lists_dir)])
        with pytest.raises(PackageNotAllowedError if argv[-1] != "alpha" else CorpusError):
            args.func(args)


def test_package_without_tests_still_gives_methods(cache: Path, lists: PackageLists, tmp_path: Path) -> None:
    from customizer.errors import NoTestsFoundError

    make_repo("gamma", orig_tarballs(_fake_source_package(tmp_path / "dl")), debian_layout().repo("gamma"))

    def no_tests(repo: Path) -> Any:
        raise NoTestsFoundError("no tests")

    marker = build_package("gamma", lists, miner=no_tests)
    assert (marker["status"], marker["pairs"], marker["methods"]) == (BUILT, 0, 1)
    assert marker["no_pairs_reason"] == "NoTestsFoundError"
