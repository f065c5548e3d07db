"""Retrieval-augmented base-model data: each corpus package is a project whose other tests go into the input,
built by the same functions as personalization's ``--retrieval k`` inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import PreTrainedTokenizerFast

from customizer.basemodel.data import tokenize_pairs
from customizer.basemodel.retrieval_data import attach_retrieved, parse_ks
from customizer.inputs import encode_source, source_budget
from customizer.java.context import ContextLevel, render_input
from customizer.mining.miner import mine_repository


def _corpus(java_repo: Path) -> list[dict]:
    """The fixture repository's pairs twice, as two corpus packages."""
    pairs = mine_repository(java_repo).pairs
    return [{**p.to_dict(), "repo": repo} for repo in ("pkg-a", "pkg-b") for p in pairs]


def test_neighbours_come_from_the_same_package_never_the_pairs_own_method(java_repo: Path) -> None:
    corpus = _corpus(java_repo)
    out = list(attach_retrieved(corpus, (0, 1, 3), seed=0))
    assert len(out) == len(corpus) and {d["retrieval_k"] for d in out} == {0, 1, 3}
    for repo in ("pkg-a", "pkg-b"):
        ours = [d for d in out if d["repo"] == repo]
        rendered = {f"{d['focal']['signature']}\n{d['test']['body']}" for d in ours}
        for d in ours:
            assert len(d["retrieved"]) == d["retrieval_k"]  # every method of the fixture has other methods
            assert set(d["retrieved"]) <= rendered
            assert not any(text.startswith(d["focal"]["signature"] + "\n") for text in d["retrieved"])
    again = list(attach_retrieved(corpus, (0, 1, 3), seed=0))
    assert [d["retrieved"] for d in again] == [d["retrieved"] for d in out]


def test_sources_are_the_products_retrieval_inputs(java_repo: Path, tiny_bart_dir: Path) -> None:
    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    corpus = list(attach_retrieved(_corpus(java_repo), (2,), seed=0))
    data, stats = tokenize_pairs(tok, corpus, max_source=64, max_target=400)
    assert len(data) == len(corpus) == stats["pairs"]
    for i, d in enumerate(corpus):
        focal, ctx = render_input(d["focal"]["body"], d["context"], ContextLevel.FULL)
        expected = encode_source(tok, focal, ctx, source_budget(64, 2, tok.model_max_length), d["retrieved"])
        assert data.source(i).tolist() == expected
        assert len(expected) > 64  # the retrieved tests got their own room beyond the plain budget
    plain, _ = tokenize_pairs(tok, _corpus(java_repo), max_source=64, max_target=400)
    assert all(len(plain.source(i)) <= 64 for i in range(len(plain)))


def test_mix_parsing() -> None:
    assert parse_ks("0,1,2,3") == (0, 1, 2, 3)
    with pytest.raises(ValueError, match="comma-separated"):
        parse_ks("two")
    with pytest.raises(ValueError, match=">= 0"):
        parse_ks("-1")


def test_val_loss_scores_each_model_on_each_prepared_file(java_repo: Path, tiny_bart_dir: Path,
                                                          tmp_path: Path) -> None:
    import json

    from customizer.cli import main

    tok = PreTrainedTokenizerFast.from_pretrained(tiny_bart_dir)
    files = []
    for k in (0, 1):  # sources of 32 + 128 tokens: within the tiny model's 258 positions
        data, _ = tokenize_pairs(tok, attach_retrieved(_corpus(java_repo), (k,), seed=1), 32, 90)
        files.append(tmp_path / f"val-r{k}.npz")
        data.save(files[-1])
    args = ["base-model", "val-loss", "--model", str(tiny_bart_dir), "--data", str(files[0]), "--data",
            str(files[1]), "--every", "2"]
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    rows = [json.loads(line) for line in printed.getvalue().splitlines()]
    assert [r["data"] for r in rows] == [str(f) for f in files]
    assert rows[0]["pairs"] == rows[1]["pairs"] > 0 and all(r["loss"] > 0 for r in rows)
