"""Compute accounting (paper §3.4): 2N per token forward, backward twice the traversed part."""

from __future__ import annotations

import pytest

from customizer.flops import (
    ModelShape,
    decoder_forward_flops,
    encoder_forward_flops,
    pflop_seconds,
    training_step_flops,
)


def test_shape_of_tiny_bart_counts_non_embedding_parameters_and_the_output_matmul(tiny_bart) -> None:
    shape = ModelShape.of(tiny_bart.model)
    # encoder layer: attention 4*(32*32+32) + fc1 32*64+64 + fc2 64*32+32 + 2 layer norms 2*64 = 8544
    assert shape.encoder_params == 2 * 8544 + 64  # + layernorm_embedding
    # decoder layer: 2 attentions + fc1 + fc2 + 3 layer norms = 12832; output layer 400 x 32 (tied, still a matmul)
    assert shape.decoder_params == 2 * 12832 + 64 + 400 * 32
    assert (shape.encoder_layers, shape.decoder_layers, shape.d_attn) == (2, 2, 32)


SHAPE = ModelShape(encoder_params=1000, decoder_params=2000, encoder_layers=2, decoder_layers=3, d_attn=10)


def test_forward_flops_per_token() -> None:
    # source of 4 tokens: 4 * (2*1000 + 2*2*4*10)
    assert encoder_forward_flops(SHAPE, [4]) == 4 * (2000 + 160)
    # target of 3 tokens over a source of 4: 3 * (2*2000 + 2*3*(3+4)*10)
    assert decoder_forward_flops(SHAPE, [4], [3]) == 3 * (4000 + 420)


def test_training_step_is_forward_plus_twice_the_traversed_part() -> None:
    forward = encoder_forward_flops(SHAPE, [4, 5]) + decoder_forward_flops(SHAPE, [4, 5], [3, 2])
    assert training_step_flops(SHAPE, [4, 5], [3, 2], 1.0) == pytest.approx(3 * forward)
    assert training_step_flops(SHAPE, [4, 5], [3, 2], 0.25) == pytest.approx(1.5 * forward)
    frozen_cached = training_step_flops(SHAPE, [4, 5], [3, 2], 0.25, encoder_cached=True)
    assert frozen_cached == pytest.approx(1.5 * forward - encoder_forward_flops(SHAPE, [4, 5]))


def test_pflop_seconds() -> None:
    assert pflop_seconds(2.5e15) == 2.5
