"""Customize a repository: mine → split by focal method → encode → train → store the adapter.

With ``retrieval`` = k > 0 every training input carries its k nearest *other* training pairs' tests
(leave-one-out, never tests of its own focal method: see ``customizer.retrieval.augment``), validation inputs
their k nearest training pairs; k is recorded in the adapter so generation builds inputs the same way. The mined
pairs are stored with the adapter as its retrieval index (``customizer.retrieval.stored``).

This is what ``testtailor customize-project`` and the language server's ``customizeProject`` run. Progress goes
to ``on_event`` as the dicts of the Progress contract (docs/architecture.md): ``start``, ``progress``…, ``done``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from customizer import adapter_tensors
from customizer.adapters import AdapterMeta, AdapterStore, repo_key
from customizer.decoding import prior_from_tests
from customizer.defaults import DEFAULT_RETRIEVAL, DEFAULT_STRATEGY
from customizer.errors import DatasetTooSmallError, TrainingInterrupted
from customizer.inputs import (
    DEFAULT_MAX_SOURCE,
    DEFAULT_MAX_TARGET,
    encode_pair,
    frequent_token_ids,
    length_budget,
)
from customizer.java.context import ContextLevel, parse_context_level
from customizer.mining.folds import train_val_split
from customizer.mining.miner import mine_repository
from customizer.mining.pairs import Pair, pairs_to_jsonl
from customizer.model import BaseModel, load_base_model, resolve_device
from customizer.retrieval import training_retrieval
from customizer.retrieval.stored import index_files, worktree_state
from customizer.strategies import StrategyInit, get_strategy
from customizer.strategies.base import Strategy
from customizer.train import TrainConfig, TrainResult, train

MIN_PAIRS = 8  # below this a validation split says nothing and training only memorizes
VAL_FRACTION = 0.1
PREFIX_INIT_TOKENS = 1024


@dataclasses.dataclass
class Fit:
    """A strategy trained on a repository's pairs (not yet stored): what evaluation and customization share."""

    result: TrainResult
    train_pairs: list[Pair]
    val_pairs: list[Pair]
    max_source: int  # the whole source budget, retrieved tests' room included
    max_target: int
    retrieval: int = 0


def fit_pairs(base: BaseModel, chosen: Strategy, pairs: list[Pair], *, level: ContextLevel = ContextLevel.FULL,
              seed: int = 0, config: TrainConfig | None = None, max_source: int = DEFAULT_MAX_SOURCE,
              max_target: int = DEFAULT_MAX_TARGET, on_event: Callable[[dict[str, Any]], None] | None = None,
              start_fields: dict[str, Any] | None = None, retrieval: int = 0) -> Fit:
    """Split ``pairs`` (validation grouped by focal method), encode them and train ``chosen`` from ``base``.

    ``retrieval`` = k appends the k nearest training pairs (see the module docstring) to every source.
    """
    if retrieval < 0:
        raise ValueError("retrieval must be 0 (off) or a positive number of tests")
    emit = on_event or (lambda event: None)
    train_pairs, val_pairs = train_val_split(pairs, val_fraction=VAL_FRACTION, seed=seed, group="method")
    tokenizer = base.tokenizer
    max_source, max_target = length_budget(base.model, max_source, max_target, retrieval)
    retrieved = training_retrieval(train_pairs, val_pairs, retrieval)
    train_examples = [encode_pair(tokenizer, p, level, max_source, max_target, retrieved.get(p.id, ()))
                      for p in train_pairs]
    val_examples = [encode_pair(tokenizer, p, level, max_source, max_target, retrieved.get(p.id, ()))
                    for p in val_pairs]
    init = StrategyInit(tokenizer, frequent_token_ids(tokenizer, train_pairs, PREFIX_INIT_TOKENS))
    emit({"event": "start", "strategy": chosen.name, "pairs": {"train": len(train_pairs), "val": len(val_pairs)},
          **(start_fields or {})})
    result = train(base, chosen, train_examples, val_examples, config or TrainConfig(), emit, init)
    return Fit(result, train_pairs, val_pairs, max_source, max_target, retrieval)


def _length_prior(base: BaseModel, pairs: list[Pair]) -> dict[str, Any]:
    """The length prior of the project's tests, stored with the adapter so generation sizes its outputs like them
    (empty when too few tests: generation then uses the base model's)."""
    prior = prior_from_tests(base.tokenizer, [p.test.body for p in pairs])
    return {} if prior is None else prior.to_dict()


def customize_project(repo: str | os.PathLike[str], strategy: str = DEFAULT_STRATEGY, device: str = "auto",
                      base_model: str | os.PathLike[str] | None = None, max_minutes: float | None = None,
                      max_pflops: float | None = None, level: ContextLevel | str = ContextLevel.FULL,
                      seed: int = 0, on_event: Callable[[dict[str, Any]], None] | None = None,
                      store: AdapterStore | None = None, config: TrainConfig | None = None,
                      max_source: int = DEFAULT_MAX_SOURCE, max_target: int = DEFAULT_MAX_TARGET,
                      retrieval: int = DEFAULT_RETRIEVAL) -> tuple[AdapterMeta, TrainResult]:
    """Personalize the base model to ``repo`` and store the adapter; returns its meta and the training result.

    Interrupted (SIGINT/SIGTERM) runs store the best adapter so far (``result.interrupted``); one interrupted
    before any improvement raises :class:`TrainingInterrupted` and stores nothing.
    """
    emit = on_event or (lambda event: None)
    config = config or TrainConfig()
    config = dataclasses.replace(config, seed=seed,
                                 max_minutes=max_minutes if max_minutes is not None else config.max_minutes,
                                 max_pflops=max_pflops if max_pflops is not None else config.max_pflops)
    level = parse_context_level(level)
    store = store or AdapterStore()

    # fail fast on bad options before the slow parts
    chosen = get_strategy(strategy, **config.strategy_options)
    resolve_device(device)
    if retrieval < 0:
        raise ValueError("retrieval must be 0 (off) or a positive number of tests")
    key = repo_key(repo)
    base = load_base_model(base_model, device)

    _, index_state = worktree_state(repo)  # before mining: a later edit makes the stored index stale, not wrong
    mined = mine_repository(repo)
    if len(mined.pairs) < MIN_PAIRS:
        raise DatasetTooSmallError(
            f"{mined.repo_name} has {len(mined.pairs)} test–method pairs; customizing needs at least {MIN_PAIRS}. "
            "Write tests for more methods (see `testtailor mine REPO` for tests that were not matched), or use "
            "the base model with `testtailor generate --base-only`")
    emit_start = {"repo": mined.repo_name, "base_model": base.description}
    fit = fit_pairs(base, chosen, mined.pairs, level=level, seed=seed, config=config, max_source=max_source,
                    max_target=max_target, on_event=emit, start_fields=emit_start, retrieval=retrieval)
    result, max_source, max_target = fit.result, fit.max_source, fit.max_target
    if result.interrupted and not result.improved:
        raise TrainingInterrupted("interrupted before the validation loss improved, so no adapter was saved; run "
                                  "customize-project again and let it train longer")
    trainable, total = result.trainable_params, result.total_params
    meta = AdapterMeta(
        repo_key=key, repo_name=mined.repo_name, worktree=str(Path(mined.root).resolve()), strategy=chosen.name,
        base_fingerprint=base.fingerprint, base_model=str(base.path), strategy_options=chosen.options,
        trainable_params=trainable, total_params=total,
        dataset_hash=hashlib.sha256(pairs_to_jsonl(mined.pairs).encode("utf-8")).hexdigest(),
        dataset_size=len(mined.pairs), git_head=mined.commit, best_val_loss=result.best_val_loss,
        base_val_loss=result.base_val_loss, pflops=result.pflops, wall_s=result.wall_s, device=result.device,
        input_level=str(level), max_source=max_source, max_target=max_target, stop_reason=result.stop_reason,
        conventions=mined.conventions.to_dict(), retrieval=retrieval, index_state=index_state,
        length_prior=_length_prior(base, mined.pairs), tensor_encoding=adapter_tensors.ENCODING)
    stored = adapter_tensors.compact(result.state, dict(base.model.named_parameters()))  # base.model: untrained
    path = store.save(meta, stored, extra_files=index_files(mined.pairs))
    emit({"event": "done", "adapter": str(path), "best_val_loss": result.best_val_loss,
          "base_val_loss": result.base_val_loss, "pflops": result.pflops, "wall_s": result.wall_s,
          "stop_reason": result.stop_reason})
    return meta, result
