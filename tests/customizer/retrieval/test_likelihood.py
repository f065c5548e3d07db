"""The likelihood stage: a model's say in which retrieved test leads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from customizer.inputs import encode_target
from customizer.losses import token_losses
from customizer.model import load_base_model
from customizer.retrieval import RetrievalIndex, nearest_adapted
from customizer.retrieval.likelihood import (
    STAGE_FEATURES,
    STAGE_FILE,
    LikelihoodStage,
    likelihood_scorer,
    mean_log_likelihoods,
    shipped_stage,
    stage_features,
)
from tests.customizer.retrieval.test_rerank import PAIRS, QUERY

TESTS = ["@Test public void testAdd() { assertEquals(3, calc.add(1, 2)); }",
         "@Test void shouldReturnEmptyList() { assertTrue(list.isEmpty()); }",
         "@Test void x() { }"]


@pytest.mark.parametrize("family", ["bart", "t5"])
def test_batched_likelihoods_equal_each_test_scored_alone(family: str, tiny_bart_dir: Path,
                                                          tiny_t5_dir: Path) -> None:
    base = load_base_model(tiny_bart_dir if family == "bart" else tiny_t5_dir, "cpu")
    source = base.tokenizer("public int add(int a, int b) { return a + b; }")["input_ids"]
    targets = [encode_target(base.tokenizer, t, 64) for t in TESTS]
    batched = mean_log_likelihoods(base.model, source, targets)
    for target, value in zip(targets, batched, strict=True):
        ids = torch.tensor([source])
        with torch.no_grad():
            losses = token_losses(base.model, {"input_ids": ids, "attention_mask": torch.ones_like(ids),
                                               "labels": torch.tensor([target])})
        assert value == pytest.approx(-float(losses.sum()) / len(target), abs=1e-4)
    assert batched.shape == (3,) and np.all(batched < 0)
    assert mean_log_likelihoods(base.model, source, []).shape == (0,)
    scorer = likelihood_scorer(base.model, base.tokenizer, source, 64)
    assert scorer(TESTS) == pytest.approx(batched)


def test_stage_features_are_relative_to_the_querys_best() -> None:
    x = stage_features(np.array([2.0, 1.0, 0.5]), np.array([-1.5, -0.5, -2.0]))
    assert x.shape == (3, len(STAGE_FEATURES))
    assert x[:, 0].tolist() == [0.0, -1.0, -1.5]  # re-ranker score minus the best
    assert x[:, 1].tolist() == [-1.0, 0.0, -1.5]  # likelihood minus the best
    with pytest.raises(ValueError):
        stage_features(np.zeros(2), np.zeros(3))


def test_stage_orders_by_its_weights_and_keeps_the_rerankers_order_on_ties() -> None:
    likeliest = LikelihoodStage(weights=(0.0, 1.0), scored=3)
    assert likeliest.order(np.array([3.0, 2.0, 1.0]), np.array([-2.0, -0.5, -1.0])) == [1, 2, 0]
    assert likeliest.order(np.array([3.0, 2.0, 1.0]), np.array([-1.0, -1.0, -1.0])) == [0, 1, 2]
    reranker_only = LikelihoodStage(weights=(1.0, 0.0), scored=3)
    assert reranker_only.order(np.array([3.0, 2.0, 1.0]), np.array([-2.0, -0.5, -1.0])) == [0, 1, 2]
    with pytest.raises(ValueError):
        LikelihoodStage(weights=(1.0, 0.0, 2.0), scored=3)
    with pytest.raises(ValueError):
        LikelihoodStage(weights=(1.0, 0.0), scored=1)


def test_nearest_adapted_lets_the_model_reorder_only_the_rerankers_first_few() -> None:
    index = RetrievalIndex(PAIRS)
    plain = nearest_adapted(index, QUERY, k=5, class_name="Pricing")
    seen: list[list[str]] = []

    def prefers_last(texts):  # the likelier, the later the re-ranker put it
        seen.append(list(texts))
        return np.arange(len(texts), dtype=float)

    stage = LikelihoodStage(weights=(0.0, 1.0), scored=3)
    staged = nearest_adapted(index, QUERY, k=5, class_name="Pricing", likelihood=prefers_last, stage=stage)
    assert seen == [[n.adapted for n in plain[:3]]]  # the model scores the re-ranker's first 3 only
    assert [n.adapted for n in staged] == [n.adapted for n in plain[:3][::-1] + plain[3:]]
    # without a re-ranker (BM25's order, the `retrieve-bm25` system) or a stage, the model is not asked
    nearest_adapted(index, QUERY, k=5, class_name="Pricing", reranker=None, likelihood=prefers_last, stage=stage)
    nearest_adapted(index, QUERY, k=5, class_name="Pricing", likelihood=prefers_last, stage=None)
    assert len(seen) == 1
    # k smaller than the stage: a neighbour beyond k can move up into the list
    assert [n.adapted for n in nearest_adapted(index, QUERY, k=1, class_name="Pricing", likelihood=prefers_last,
                                               stage=stage)] == [plain[2].adapted]


def test_shipped_stage_matches_this_version_and_says_how_it_was_made() -> None:
    data = json.loads(STAGE_FILE.read_text())
    assert tuple(data["features"]) == STAGE_FEATURES
    stage = shipped_stage()
    assert stage is not None and stage.scored == data["scored"] >= 2
    assert data["trained_on"]["command"].startswith("python scripts/train_likelihood_stage.py")
    assert data["trained_on"]["queries"] > 0 and "testtailor-base" in data["scored_by"]
    cv = data["cross_validated"]
    assert cv["staged_top1_bleu"] > cv["reranker_top1_bleu"]  # shipped because it measured better
    with pytest.raises(ValueError):
        LikelihoodStage.from_json({**data, "features": ["something", "else"]})
