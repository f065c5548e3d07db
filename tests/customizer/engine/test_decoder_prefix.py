"""Frozen bottom decoder blocks computed once (customizer.decoder_prefix): found by anatomy, replayed exactly."""

from __future__ import annotations

import copy

import pytest
import torch

from customizer.decoder_prefix import DecoderPrefix
from customizer.model import load_base_model
from customizer.strategies import get_strategy
from customizer.train import TrainConfig, train

from .conftest import synthetic_examples

FAST = {"num_threads": 1, "batch_tokens": 1024, "warmup_steps": 1, "log_every_s": 0.0}


@pytest.fixture(scope="module")
def data(tiny_bart):
    examples = synthetic_examples(tiny_bart.tokenizer, 48, seed=3)
    return examples[:40], examples[40:]


def _prefix(base, strategy: str) -> DecoderPrefix | None:
    model = copy.deepcopy(base.model)
    get_strategy(strategy).apply(model)
    return DecoderPrefix.of(model, torch.device("cpu"))


def test_only_blocks_below_the_trained_ones_are_frozen_and_only_where_replay_is_safe(tiny_bart,
                                                                                        tiny_t5_dir) -> None:
    prefix = _prefix(tiny_bart, "l-ldb")
    assert prefix is not None and prefix.blocks == 1  # 2 decoder blocks; the top one trains
    assert _prefix(tiny_bart, "full") is None and _prefix(tiny_bart, "l-eo") is None  # block 0 sees trained weights
    dropping = copy.deepcopy(tiny_bart.model)
    dropping.config.decoder_layerdrop = 0.1  # training skips blocks at random: no fixed bottom
    get_strategy("l-ldb").apply(dropping)
    assert DecoderPrefix.of(dropping, torch.device("cpu")) is None
    # T5 blocks hand their position biases to the next block: not replayed
    assert _prefix(load_base_model(tiny_t5_dir, "cpu"), "l-ldb") is None


def test_replayed_frozen_blocks_train_exactly_as_computed_ones(tiny_bart, data) -> None:
    def run(cache_decoder: bool):
        return train(tiny_bart, get_strategy("l-ldb"), *data,
                     TrainConfig(lr=1e-2, max_epochs=3, eval_every=2, cache_encoder=True, cache_decoder=cache_decoder,
                                 **FAST))

    replayed, computed = run(True), run(False)
    assert replayed.decoder_blocks_cached == 1 and computed.decoder_blocks_cached == 0
    assert replayed.best_val_loss < replayed.base_val_loss  # it learns
    # the same arithmetic in another grouping (float32): equal to a few parts per million after 3 epochs
    assert [r["val_loss"] for r in replayed.history] == pytest.approx([r["val_loss"] for r in computed.history],
                                                                      rel=1e-5)
    # A key projection's bias has no true gradient (softmax ignores a shift shared by every key), so AdamW moves
    # it by the rounding noise of its gradient, normalized: its value depends on the grouping of the arithmetic.
    compared = [n for n in computed.state if not n.endswith("k_proj.bias")]
    assert all(torch.allclose(replayed.state[n], computed.state[n], atol=1e-4) for n in compared)
    assert replayed.pflops < computed.pflops  # the frozen block ran once per pair, not at every step
    # the model's own forward is back after training: the frozen blocks compute again
    block = tiny_bart.model.get_decoder().layers[0]
    assert "forward" not in vars(block)
