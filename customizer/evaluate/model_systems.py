"""Model-based systems of an evaluation: the base model as shipped, and each strategy customized on a fold.

With ``cfg.retrieval`` = k the inputs carry the k nearest tests of the training fold (never the test fold),
chosen as the product chooses them (``customizer.retrieval.augment``).

Customization goes through :func:`customizer.customize.fit_pairs`, the same code path as
``testtailor customize-project``; candidates through :meth:`customizer.generate.Generator.candidates`, the same
decoding users get. Nothing is stored in the user's adapter store.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from customizer.customize import fit_pairs
from customizer.decoding import LengthPrior, prior_from_tests
from customizer.evaluate.scoring import score_pair
from customizer.generate import Candidate, Generator
from customizer.inputs import (
    encode_pair,
    length_budget,
)
from customizer.java.context import ContextLevel
from customizer.losses import summed_loss
from customizer.mining.pairs import Pair
from customizer.model import load_base_model
from customizer.retrieval import RetrievalIndex, nearest_adapted, retrieved_for_pairs
from customizer.retrieval.likelihood import likelihood_scorer, stage_id
from customizer.strategies import get_strategy
from customizer.train import TrainConfig

GENERATION_BATCH = 8  # test inputs decoded together (beam search keeps each input's beams apart)
_GENERATORS: dict[tuple[str | None, str, str], Generator] = {}


def _generator(base_model: str | None, device: str, runtime: str) -> Generator:
    key = (base_model, device, runtime)
    if key not in _GENERATORS:
        _GENERATORS[key] = Generator(base_model=base_model, device=device, runtime=runtime)
    return _GENERATORS[key]


@torch.no_grad()
def reference_nll(module: nn.Module, examples: Sequence[tuple[list[int], list[int]]], device: torch.device
                  ) -> list[tuple[float, int]]:
    """Summed negative log-likelihood (nats) and token count of each reference test under ``module``, one test
    at a time (no padding), scored as customization scores its validation loss (:func:`customizer.losses`)."""
    out = []
    for source, target in examples:
        ids = torch.tensor([source], device=device)
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids),
                 "labels": torch.tensor([target], device=device)}
        nll, count = summed_loss(module, batch)
        out.append((float(nll), count))
    return out


def batched_candidates(generator: Generator, module: nn.Module, sources: list[list[int]], k: int,
                       prior: LengthPrior | None, batch: int) -> list[list[Candidate]]:
    """Each source's candidates, decoded ``batch`` inputs at a time in order of length (little padding)."""
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    out: list[list[Candidate]] = [[] for _ in sources]
    for start in range(0, len(order), max(1, batch)):
        chunk = order[start:start + max(1, batch)]
        for i, cands in zip(chunk, generator.candidates_batch(module, [sources[i] for i in chunk], k, prior),
                            strict=True):
            out[i] = cands
    return out


def run_model_system(system: str, train: list[Pair], test: list[Pair], cfg: Any,
                     log: Callable[[str], None]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows for ``test`` and the run's record (training curve, compute) for ``base`` or a strategy name."""
    generator = _generator(cfg.base_model, cfg.device, getattr(cfg, "runtime", "torch"))
    base = load_base_model(cfg.base_model, cfg.device)  # not generator.base: serving changes that in place
    t0 = time.time()
    retrieval = int(getattr(cfg, "retrieval", 0))
    run: dict[str, Any] = {"system": system, "base_model": base.description, "retrieval": retrieval,
                           "device": str(base.device)}
    level = ContextLevel.FULL
    max_source, max_target = length_budget(base.model, retrieval=retrieval)
    if system == "base":
        module: nn.Module = base.model
        run.update(pflops=0.0, train_wall_s=0.0)
    else:
        strategy = get_strategy(system)
        config = dataclasses.replace(TrainConfig(), max_minutes=cfg.max_minutes,
                                     max_pflops=getattr(cfg, "max_pflops", None), seed=cfg.seed)
        fit = fit_pairs(base, strategy, train, level=level, seed=cfg.seed, config=config, retrieval=retrieval,
                        on_event=lambda e: e.get("event") == "progress" and log(
                            f"  {system}: {e.get('percent', 0):.0f}% val {e.get('val_loss')}"))
        result = fit.result
        if result.stop_reason == "interrupted":  # stopped by a signal: its best-so-far is no result to store
            raise KeyboardInterrupt(f"{system} customization was interrupted; the cell is not stored")
        module = strategy.load_state_dict(copy.deepcopy(base.model), result.state)
        module.eval()
        run.update(pflops=result.pflops, train_wall_s=result.wall_s, best_val_loss=result.best_val_loss,
                   base_val_loss=result.base_val_loss, history=result.history, stop_reason=result.stop_reason,
                   trainable_params=result.trainable_params, total_params=result.total_params,
                   train_pairs=len(fit.train_pairs), val_pairs=len(fit.val_pairs), device=result.device,
                   lr=result.lr)
    index = RetrievalIndex(train)
    retrieved = retrieved_for_pairs(index, test, retrieval) if retrieval > 0 else {}
    examples = [encode_pair(base.tokenizer, p, level, max_source, max_target, retrieved.get(p.id, ()))
                for p in test]
    nlls = reference_nll(module, examples, base.device)
    # a customized model sizes its outputs like the fold's training tests, as an adapter does for a project
    prior = None if system == "base" else prior_from_tests(base.tokenizer, [p.test.body for p in train])
    candidates = batched_candidates(generator, module, [source for source, _ in examples], cfg.candidates, prior,
                                    GENERATION_BATCH)
    # how the candidates were decoded: cells stored before a decoding change stay recognisable in the report
    run.update(decoding=dataclasses.asdict(generator.decoding), runtime=generator.active_runtime(),
               runtime_note=generator.runtime_note)
    ordered = ordered_retrieved(module, base.tokenizer, index, test, [source for source, _ in examples], max_target,
                                cfg.candidates)
    rows = []
    for pair, cands, nll, retrieved_tests in zip(test, candidates, nlls, ordered, strict=True):
        row = score_pair(pair, [c.text for c in cands], nll=nll, hit_limit=bool(cands) and cands[0].hit_limit)
        row["retrieved"] = retrieved_tests
        rows.append(row)
    run["retrieved_by"] = stage_id()
    run["wall_s"] = round(time.time() - t0, 2)
    return rows, run


def ordered_retrieved(module: nn.Module, tokenizer: Any, index: RetrievalIndex, test: Sequence[Pair],
                      sources: Sequence[list[int]], max_target: int, k: int) -> list[list[str]]:
    """Each test pair's ``k`` nearest tests of the training part, adapted, as the product's list orders them when
    ``module`` answers (the re-ranker, then ``module``'s likelihood of each given the pair's input): what
    ``hybrid-<system>`` puts first."""
    return [[n.adapted for n in nearest_adapted(index, pair.focal.body, k, class_name=pair.focal.class_,
                                                likelihood=likelihood_scorer(module, tokenizer, source, max_target))]
            for pair, source in zip(test, sources, strict=True)]
