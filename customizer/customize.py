"""Customize a repository: mine → split by focal method → encode → train → store the adapter.

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

from customizer.adapters import AdapterMeta, AdapterStore, repo_key
from customizer.defaults import DEFAULT_STRATEGY
from customizer.errors import DatasetTooSmallError, TrainingInterrupted
from customizer.inputs import (
    DEFAULT_MAX_SOURCE,
    DEFAULT_MAX_TARGET,
    clamp_length,
    encode_pair,
    frequent_token_ids,
    position_limit,
)
from customizer.java.context import ContextLevel, parse_context_level
from customizer.mining.folds import train_val_split
from customizer.mining.miner import mine_repository
from customizer.mining.pairs import Pair, pairs_to_jsonl
from customizer.model import BaseModel, load_base_model, resolve_device
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
    max_source: int
    max_target: int


def fit_pairs(base: BaseModel, chosen: Strategy, pairs: list[Pair], *, level: ContextLevel = ContextLevel.FULL,
              seed: int = 0, config: TrainConfig | None = None, max_source: int = DEFAULT_MAX_SOURCE,
              max_target: int = DEFAULT_MAX_TARGET, on_event: Callable[[dict[str, Any]], None] | None = None,
              start_fields: dict[str, Any] | None = None) -> Fit:
    """Split ``pairs`` (validation grouped by focal method), encode them and train ``chosen`` from ``base``."""
    emit = on_event or (lambda event: None)
    train_pairs, val_pairs = train_val_split(pairs, val_fraction=VAL_FRACTION, seed=seed, group="method")
    tokenizer = base.tokenizer
    limit = position_limit(base.model)
    max_source, max_target = clamp_length(max_source, limit), clamp_length(max_target, limit)
    train_examples = [encode_pair(tokenizer, p, level, max_source, max_target) for p in train_pairs]
    val_examples = [encode_pair(tokenizer, p, level, max_source, max_target) for p in val_pairs]
    init = StrategyInit(tokenizer, frequent_token_ids(tokenizer, train_pairs, PREFIX_INIT_TOKENS))
    emit({"event": "start", "strategy": chosen.name, "pairs": {"train": len(train_pairs), "val": len(val_pairs)},
          **(start_fields or {})})
    result = train(base, chosen, train_examples, val_examples, config or TrainConfig(), emit, init)
    return Fit(result, train_pairs, val_pairs, max_source, max_target)


def customize_project(repo: str | os.PathLike[str], strategy: str = DEFAULT_STRATEGY, device: str = "auto",
                      base_model: str | os.PathLike[str] | None = None, max_minutes: float | None = None,
                      max_pflops: float | None = None, level: ContextLevel | str = ContextLevel.FULL,
                      seed: int = 0, on_event: Callable[[dict[str, Any]], None] | None = None,
                      store: AdapterStore | None = None, config: TrainConfig | None = None,
                      max_source: int = DEFAULT_MAX_SOURCE,
                      max_target: int = DEFAULT_MAX_TARGET) -> tuple[AdapterMeta, TrainResult]:
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
    key = repo_key(repo)
    base = load_base_model(base_model, device)

    mined = mine_repository(repo)
    if len(mined.pairs) < MIN_PAIRS:
        raise DatasetTooSmallError(
            f"{mined.repo_name} has {len(mined.pairs)} test–method pairs; customizing needs at least {MIN_PAIRS}. "
            "Write tests for more methods (see `testtailor mine REPO` for tests that were not matched), or use "
            "the base model with `testtailor generate --base-only`")
    emit_start = {"repo": mined.repo_name, "base_model": base.description}
    fit = fit_pairs(base, chosen, mined.pairs, level=level, seed=seed, config=config, max_source=max_source,
                    max_target=max_target, on_event=emit, start_fields=emit_start)
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
        conventions=mined.conventions.to_dict())
    path = store.save(meta, result.state)
    emit({"event": "done", "adapter": str(path), "best_val_loss": result.best_val_loss,
          "base_val_loss": result.base_val_loss, "pflops": result.pflops, "wall_s": result.wall_s,
          "stop_reason": result.stop_reason})
    return meta, result
