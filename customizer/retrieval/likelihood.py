"""The model's say in which retrieved test leads: the re-ranker's first few, re-ordered by how likely the model finds
each adapted test for the query.

The re-ranker (:mod:`customizer.retrieval.rerank`) sees the shape of the two methods and the words they share; it
cannot tell whether the renamed test *reads* like a test of the query method. A seq2seq model trained on focal
method → test pairs can: the mean per-token log-probability of an adapted test, given the query's model input, is
higher when the test calls what the query offers in the way such tests do. Where a repository has an adapter that
model knows the project's tests too; without one the base model judges. That was the idea; measured on the dev-eval
packages it did not pick better leads than the re-ranker alone, so the product leaves it off
(:func:`customizer.defaults.likelihood_orders`) and the evaluation keeps measuring it (docs/architecture.md).

The combination is learned, not chosen: ``scripts/train_likelihood_stage.py`` scores, with the shipped base model,
the re-ranker's first ``scored`` neighbours of method- and class-split queries of pretraining packages (never the
dev-eval ones) and picks the weight of the likelihood against the re-ranker's score that gives the best mean top-1
BLEU (one number; a ridge regression of the per-query centred BLEU on more features cross-validated worse).
``likelihood.json`` beside this module holds the weights and what cross-validation by package measured. The
retrieve baseline (``--strategy retrieve``, the evaluation's bar) never uses it: it runs no model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from customizer.retrieval.rerank import weights_file_id

if TYPE_CHECKING:  # torch is imported where a model runs, so that retrieval alone starts fast (the CLI, the server)
    from torch import nn

STAGE_FILE = Path(__file__).with_name("likelihood.json")

STAGE_FEATURES = (
    "reranker_relative",  # the re-ranker's score minus the query's best (0 for its first)
    "likelihood_relative",  # mean token log-probability minus the best of the scored neighbours (nats, ≤ 0)
)

# mean per-token log-probability of each text (nats), in the order given
Scorer = Callable[[Sequence[str]], np.ndarray]


def stage_features(reranker_scores: np.ndarray, likelihoods: np.ndarray) -> np.ndarray:
    """The ``len(scores)`` × ``len(STAGE_FEATURES)`` matrix of a query's scored neighbours."""
    rr = np.asarray(reranker_scores, dtype=np.float64)
    ll = np.asarray(likelihoods, dtype=np.float64)
    if rr.shape != ll.shape or rr.ndim != 1:
        raise ValueError(f"{rr.shape} re-ranker scores for {ll.shape} likelihoods")
    return np.column_stack([rr - rr.max(), ll - ll.max()])


@dataclass(frozen=True)
class LikelihoodStage:
    """A linear score over :data:`STAGE_FEATURES`; ``scored``: how many of the re-ranker's first neighbours the
    model scores (the rest keep the re-ranker's order behind them)."""

    weights: tuple[float, ...]
    scored: int

    def __post_init__(self) -> None:
        if len(self.weights) != len(STAGE_FEATURES):
            raise ValueError(f"{len(self.weights)} weights for {len(STAGE_FEATURES)} features")
        if self.scored < 2:
            raise ValueError("a likelihood stage must score at least 2 neighbours")

    def order(self, reranker_scores: np.ndarray, likelihoods: np.ndarray) -> list[int]:
        """Indices of the scored neighbours, best first (ties keep the re-ranker's order)."""
        combined = stage_features(reranker_scores, likelihoods) @ np.asarray(self.weights)
        return sorted(range(len(combined)), key=lambda i: (-combined[i], i))

    @classmethod
    def from_json(cls, data: dict) -> LikelihoodStage:
        names = tuple(data["features"])
        if names != STAGE_FEATURES:
            raise ValueError(f"likelihood stage weights are for {names}, this version computes {STAGE_FEATURES}")
        return cls(weights=tuple(float(w) for w in data["weights"]), scored=int(data["scored"]))


def stage_id() -> str | None:
    """The shipped stage's identity (first 12 hex digits of its weights file's sha256), recorded with evaluation
    cells whose retrieved tests it ordered."""
    return weights_file_id(STAGE_FILE)


@cache
def shipped_stage() -> LikelihoodStage | None:
    """The stage shipped with the package (None when its weights file is absent)."""
    if not STAGE_FILE.exists():
        return None
    return LikelihoodStage.from_json(json.loads(STAGE_FILE.read_text()))


def mean_log_likelihoods(module: nn.Module, source_ids: Sequence[int], targets: Sequence[Sequence[int]]
                         ) -> np.ndarray:
    """Mean per-token log-probability (nats) of each target (token ids with specials, as
    :func:`customizer.inputs.encode_target` makes them) given one source, scored as training scores its loss
    (:func:`customizer.losses.token_losses`). The encoder runs once for all targets."""
    import torch

    from customizer.batching import IGNORE
    from customizer.losses import token_losses

    if not targets:
        return np.zeros(0)
    device = next(module.parameters()).device
    width = max(len(t) for t in targets)
    labels = torch.full((len(targets), width), IGNORE, dtype=torch.long, device=device)
    for row, target in enumerate(targets):
        labels[row, :len(target)] = torch.tensor(list(target), device=device)
    ids = torch.tensor([list(source_ids)], device=device)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        hidden = module.get_encoder()(input_ids=ids, attention_mask=mask).last_hidden_state
        batch = {"labels": labels, "attention_mask": mask.expand(len(targets), -1),
                 "encoder_hidden": hidden.expand(len(targets), -1, -1)}
        losses = token_losses(module, batch)
    counts = (labels != IGNORE).sum(dim=1).clamp(min=1)
    return (-(losses.sum(dim=1) / counts)).double().cpu().numpy()


def likelihood_scorer(module: nn.Module, tokenizer: Any, source_ids: Sequence[int], max_target: int) -> Scorer:
    """A :data:`Scorer` for one query: each test is encoded as a decoder target of at most ``max_target`` tokens."""
    from customizer.inputs import encode_target

    def score(texts: Sequence[str]) -> np.ndarray:
        return mean_log_likelihoods(module, source_ids, [encode_target(tokenizer, t, max_target) for t in texts])
    return score
