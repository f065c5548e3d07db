"""The training loop: learns, keeps the best state, stops early, obeys SIGINT, is deterministic."""

from __future__ import annotations

import math
import os
import signal
import time

import pytest
import torch

from customizer.errors import DatasetTooSmallError
from customizer.strategies import get_strategy
from customizer.train import TrainConfig, train

from .conftest import synthetic_examples

FAST = {"num_threads": 1, "batch_tokens": 1024, "warmup_steps": 1, "log_every_s": 0.0}


@pytest.fixture(scope="module")
def data(tiny_bart):
    examples = synthetic_examples(tiny_bart.tokenizer, 48, seed=1)
    return examples[:40], examples[40:]


def test_training_lowers_validation_loss_and_returns_the_best_state(tiny_bart, data) -> None:
    strategy = get_strategy("full")
    before = {n: p.clone() for n, p in tiny_bart.model.named_parameters()}
    events: list[dict] = []
    result = train(tiny_bart, strategy, *data, TrainConfig(lr=3e-3, max_epochs=6, eval_every=1.0, **FAST),
                   on_event=events.append)
    assert result.best_val_loss < result.base_val_loss - 0.5
    val_losses = [row["val_loss"] for row in result.history]
    assert result.best_val_loss == min(val_losses)
    assert result.history[0]["step"] == 0 and result.history[-1]["step"] == result.steps
    assert set(result.state) == {n for n, _ in strategy.trainable_parameters(tiny_bart.model)}
    assert result.pflops > 0 and result.tokens > 0 and result.stop_reason == "max_epochs" and result.lr == 3e-3
    progress = [e for e in events if e["event"] == "progress"]
    assert progress and {"percent", "step", "epoch", "val_loss", "best_val_loss", "pflops", "message"} <= set(
        progress[-1])
    assert any("tok/s" in e["message"] for e in progress)
    # the base model is untouched: training works on a copy
    assert all(torch.equal(p, before[n]) for n, p in tiny_bart.model.named_parameters())


def test_best_state_reproduces_best_validation_loss(tiny_bart, data) -> None:
    import copy

    strategy = get_strategy("l-ldb")
    result = train(tiny_bart, strategy, *data, TrainConfig(lr=1e-2, max_epochs=3, eval_every=2, **FAST))
    assert result.lr == 1e-2
    fresh = copy.deepcopy(tiny_bart.model)
    module = get_strategy("l-ldb").load_state_dict(fresh, result.state)
    from customizer.train import _val_loss

    again = _val_loss(module, data[1], None, 1024, tiny_bart.tokenizer.pad_token_id, torch.device("cpu"), False)
    assert again == pytest.approx(result.best_val_loss, abs=1e-4)


def test_early_stopping_after_patience_without_improvement(tiny_bart, data) -> None:
    # min_delta larger than any possible improvement: every validation pass counts against patience
    config = TrainConfig(lr=1e-3, max_epochs=50, eval_every=1, patience=3, min_delta=100.0, **FAST)
    result = train(tiny_bart, get_strategy("l-ldb"), *data, config)
    assert result.stop_reason == "early_stop"
    assert result.steps == 3 and len(result.history) == 4


def test_sigint_finishes_the_step_and_returns_the_best_state(tiny_bart, data) -> None:
    signalled_at: list[int] = []

    def interrupt(event: dict) -> None:
        if event["event"] == "progress" and event["step"] >= 2 and not signalled_at:
            signalled_at.append(event["step"])
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.getsignal(signal.SIGINT)
    result = train(tiny_bart, get_strategy("full"), *data,
                   TrainConfig(lr=3e-3, max_epochs=50, eval_every=1, **FAST), on_event=interrupt)
    assert result.interrupted and result.stop_reason == "interrupted"
    assert signalled_at and result.steps <= signalled_at[0] + 1
    assert result.best_val_loss == min(row["val_loss"] for row in result.history)
    assert result.improved and result.state
    assert signal.getsignal(signal.SIGINT) is previous


def test_same_seed_same_result_other_seed_differs(tiny_bart, data) -> None:
    def run(seed: int):
        return train(tiny_bart, get_strategy("full"), *data,
                     TrainConfig(lr=3e-3, max_epochs=2, eval_every=2, seed=seed, **FAST))

    first, second, other = run(0), run(0), run(1)
    assert [r["val_loss"] for r in first.history] == [r["val_loss"] for r in second.history]
    assert all(torch.equal(first.state[n], second.state[n]) for n in first.state)
    assert [r["val_loss"] for r in first.history] != [r["val_loss"] for r in other.history]


def test_cached_encoder_matches_uncached(tiny_bart, data) -> None:
    def run(cache: bool):
        return train(tiny_bart, get_strategy("l-ldb"), *data,
                     TrainConfig(lr=1e-2, max_epochs=2, eval_every=2, cache_encoder=cache, **FAST))

    cached, plain = run(True), run(False)
    assert cached.encoder_cached and not plain.encoder_cached
    assert [r["val_loss"] for r in cached.history] == pytest.approx([r["val_loss"] for r in plain.history],
                                                                    abs=1e-5)
    assert cached.pflops < plain.pflops  # the encoder ran once, not every step


def test_trainable_encoder_is_never_cached(tiny_bart, data) -> None:
    result = train(tiny_bart, get_strategy("l-eo"), *data,
                   TrainConfig(max_epochs=1, cache_encoder=None, **FAST))
    assert not result.encoder_cached
    assert result.lr == get_strategy("l-eo").default_lr  # no rate configured: the strategy's own


def test_budget_in_pflops_stops_training(tiny_bart, data) -> None:
    result = train(tiny_bart, get_strategy("full"), *data,
                   TrainConfig(max_epochs=50, eval_every=1000, max_pflops=1e-9, **FAST))
    assert result.stop_reason == "max_pflops"
    assert result.history[-1]["step"] == result.steps and not math.isnan(result.history[-1]["val_loss"])


def test_empty_validation_set_is_refused(tiny_bart, data) -> None:
    with pytest.raises(DatasetTooSmallError, match="validation"):
        train(tiny_bart, get_strategy("full"), data[0], [], TrainConfig(**FAST))


def test_time_before_training_does_not_count_against_the_minutes_budget(tiny_bart, data) -> None:
    """Issue #4: loading, encoder caching and the first validation passes used to count against --max-minutes,
    so a slow setup left one step and progress jumped from 0% to 99%. Here the setup is made slower than the
    whole budget (the listener blocks on the start event, which is emitted before the first step)."""
    delay_s, budget_min = 6.5, 0.1  # 6.5 s of setup against a 6 s budget; two epochs of the tiny model take far less
    events: list[dict] = []

    def slow_setup(event: dict) -> None:
        events.append(event)
        if event["event"] == "progress" and event["step"] == 0:
            time.sleep(delay_s)

    result = train(tiny_bart, get_strategy("l-ldb"), *data,
                   TrainConfig(lr=1e-2, max_epochs=2, eval_every=1, max_minutes=budget_min, **FAST),
                   on_event=slow_setup)
    assert result.stop_reason == "max_epochs"
    assert result.setup_s >= delay_s and result.wall_s >= result.setup_s
    assert result.steps > 1 and result.tokens_per_s > 0 and 0 < result.step_s < result.wall_s - result.setup_s
    percents = [e["percent"] for e in events if e["event"] == "progress" and e["step"] > 0]
    assert percents == sorted(percents)  # progress only moves forward
    assert percents[0] < 90.0  # after the first step, not the 99% the setup's time used to claim


@pytest.mark.parametrize(("capabilities", "expected"), [
    ({"avx512_bf16": True, "amx_bf16": True}, True),  # AMX: bf16 matmuls in hardware tiles
    ({"avx512_bf16": True, "amx_bf16": False}, False),  # AVX512-BF16 alone: measured slower (bench_bf16.py)
    ({}, False),
])
def test_bf16_autocast_only_where_it_is_faster(monkeypatch: pytest.MonkeyPatch, capabilities: dict[str, bool],
                                               expected: bool) -> None:
    from customizer.train import bf16_supported

    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities, raising=False)
    assert bf16_supported(torch.device("cpu")) is expected
    assert bf16_supported(torch.device("meta")) is False
