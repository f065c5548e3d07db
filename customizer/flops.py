"""Training compute as in the paper (§3.4), after Kaplan et al. (2020), Table 1, in PF-seconds.

Forward: about ``2 N`` FLOPs per token for the ``N`` non-embedding parameters a token passes through, plus
Kaplan's attention-context term ``2 n_layer n_ctx d_attn`` per token. An encoder-decoder model is split in two:
a source token passes through the encoder's ``N_enc`` parameters, a target token through the decoder's
``N_dec`` (self-attention over the target so far, cross-attention over the source). The embedding correction:
embedding look-ups cost nothing, but the output layer is a ``d_model × vocab`` matmul per target token, so it
counts in ``N_dec`` even when its weights are tied to the input embeddings.

Backward: about twice the forward, but only for the part of the network the gradient traverses, which the
strategy reports as ``backward_fraction`` (1.0 for full fine-tuning; small for L-LDB, whose gradient stops at
the last decoder block). A step costs ``forward × (1 + 2 × backward_fraction)``. When the frozen encoder's
outputs are cached, a step spends no encoder FLOPs (the caching pass is counted once, as forward only).

1 PF-second = 10^15 FLOPs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from customizer.strategies import anatomy

PFLOP = 1e15


@dataclass(frozen=True)
class ModelShape:
    """What the FLOP count needs to know about an encoder-decoder model."""

    encoder_params: int  # non-embedding parameters of the encoder
    decoder_params: int  # non-embedding parameters of the decoder, plus the output layer's d_model × vocab
    encoder_layers: int
    decoder_layers: int
    d_attn: int  # width of the attention's query/key/value space
    decoder_block_params: int = 0  # non-embedding parameters of one decoder block (0: unknown)

    @classmethod
    def of(cls, model: nn.Module) -> ModelShape:
        """Measure a BART/T5-style model by anatomy (not by attribute names)."""
        encoder, decoder = model.get_encoder(), model.get_decoder()
        head = anatomy.output_layer(model)
        head_matmul = sum(p.numel() for p in head.parameters() if p.dim() == 2)
        attention = anatomy.self_attention_modules(model)
        projections = anatomy.attention_projections(attention[0][1])
        assert projections is not None  # self_attention_modules only returns modules that have them
        return cls(
            encoder_params=_non_embedding_params(encoder),
            decoder_params=_non_embedding_params(decoder) + head_matmul,
            encoder_layers=len(anatomy.encoder_blocks(model)),
            decoder_layers=len(anatomy.decoder_blocks(model)),
            d_attn=projections.q.out_features,
            decoder_block_params=_non_embedding_params(anatomy.decoder_blocks(model)[0]),
        )


def _non_embedding_params(module: nn.Module) -> int:
    embedded = {id(p) for m in module.modules() if isinstance(m, nn.Embedding) for p in m.parameters()}
    return sum(p.numel() for p in module.parameters() if id(p) not in embedded)


def encoder_forward_flops(shape: ModelShape, source_lengths: Sequence[int]) -> float:
    """Forward FLOPs of the encoder over sources of these (unpadded) lengths."""
    return float(sum(n * (2 * shape.encoder_params + 2 * shape.encoder_layers * n * shape.d_attn)
                     for n in source_lengths))


def decoder_forward_flops(shape: ModelShape, source_lengths: Sequence[int],
                          target_lengths: Sequence[int]) -> float:
    """Forward FLOPs of the decoder and output layer (teacher forcing) over these targets."""
    return float(sum(t * (2 * shape.decoder_params + 2 * shape.decoder_layers * (t + s) * shape.d_attn)
                     for s, t in zip(source_lengths, target_lengths, strict=True)))


def decoder_blocks_forward_flops(shape: ModelShape, source_lengths: Sequence[int], target_lengths: Sequence[int],
                                 blocks: int) -> float:
    """Forward FLOPs of ``blocks`` decoder blocks (no output layer) over these targets."""
    return float(sum(t * blocks * (2 * shape.decoder_block_params + 2 * (t + s) * shape.d_attn)
                     for s, t in zip(source_lengths, target_lengths, strict=True)))


def training_step_flops(shape: ModelShape, source_lengths: Sequence[int], target_lengths: Sequence[int],
                        backward_fraction: float, encoder_cached: bool = False,
                        decoder_blocks_cached: int = 0) -> float:
    """FLOPs of one optimizer step: forward, plus a backward of twice the forward through the trained part.

    ``backward_fraction`` is the share of the whole model's forward compute that the gradient flows back
    through; with ``encoder_cached`` the encoder's forward is not spent again, nor that of the
    ``decoder_blocks_cached`` bottom decoder blocks (:mod:`customizer.decoder_prefix`).
    """
    encoder = encoder_forward_flops(shape, source_lengths)
    decoder = decoder_forward_flops(shape, source_lengths, target_lengths)
    spent_forward = decoder if encoder_cached else encoder + decoder
    spent_forward -= decoder_blocks_forward_flops(shape, source_lengths, target_lengths, decoder_blocks_cached)
    return spent_forward + 2.0 * backward_fraction * (encoder + decoder)


def pflop_seconds(flops: float) -> float:
    return flops / PFLOP


def peak_flops(device: torch.device, bf16: bool) -> float | None:
    """A nominal peak FLOP/s of ``device`` for model FLOPs utilization (MFU); None when unknown.

    GPUs: the dense bf16 tensor-core peak of known cards (what nanoGPT reports against). CPUs: cores in use ×
    clock × FMA throughput of the vector unit (2 FMA units × lanes × 2 FLOPs), fp32.
    """
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device).lower()
        table = {"h200": 989e12, "h100": 989e12, "a100": 312e12, "l40": 181e12, "l4": 121e12, "a10": 125e12,
                 "4090": 165e12, "3090": 71e12, "v100": 125e12, "t4": 65e12}
        peak = next((value for key, value in table.items() if key in name), None)
        return peak if bf16 or peak is None else peak / 8  # fp32 without tensor cores is far slower
    if device.type == "cpu":
        mhz = _cpu_mhz()
        if mhz is None:
            return None
        lanes = 16 if torch.backends.cpu.get_cpu_capability().startswith("AVX512") else 8
        return torch.get_num_threads() * mhz * 1e6 * 2 * lanes * 2
    return None


def _cpu_mhz() -> float | None:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.lower().startswith("cpu mhz"):
                    return float(line.split(":", 1)[1])
    except (OSError, ValueError):
        pass
    return None  # not Linux: no portable clock query
