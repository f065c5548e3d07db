"""How an adapter's tensors are stored: each matrix as its change from the base model, int8 per row.

An adapter used to hold its trained tensors as they are, in float32: on the shipped 42M model 168 MB for ``full``
(four times the 43 MB the whole base model ships in), 30 MB for ``l-eo`` and 11 MB for ``l-ldb``, per project, and
as much in every ``adapters export`` file a team passes around. The base model those tensors started from is pinned
by the adapter's fingerprint check, so storing what training changed is enough: each trained matrix that the base
model also has is stored as ``trained - base`` quantized to int8 per row (absmax / 127, the scheme the base model's
own weights are stored in, :mod:`customizer.int8_weights`), a quarter of the float32 bytes. The rounding error is at
most half a quantization step of the *change's* row maximum, not of the weight's: fine-tuning moves weights by a
small fraction of their size, so the stored adapter is much closer to the trained one than the base model's int8
storage is to its own float32 weights. Vectors (biases, norms) and tensors the base model does not have (prefixes,
LoRA matrices) are stored as they are. ``bench/bench_adapter_size.py`` measures sizes and the validation loss of the
trained vs the reloaded adapter.

Layout in the adapter's safetensors file: ``NAME.__delta__`` (int8, rows x columns) and ``NAME.__delta_scale__``
(float32, rows x 1) for each matrix stored as a change, ``NAME`` for the rest; ``AdapterMeta.tensor_encoding``
names the layout, and an adapter without it holds its tensors as they are (adapters made before this module).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from customizer.errors import AdapterError
from customizer.int8_weights import quantize_rows

ENCODING = "int8-delta-v1"
DELTA_SUFFIX = ".__delta__"
SCALE_SUFFIX = ".__delta_scale__"


def compact(state: Mapping[str, torch.Tensor], base: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` (an adapter's trained tensors) with each matrix the base model also has (``base``: its parameters
    by name, untouched by training) stored as its int8 per-row change; see the module docstring."""
    out: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        start = base.get(name)
        if (start is not None and tensor.is_floating_point() and tensor.dim() == 2
                and tuple(start.shape) == tuple(tensor.shape)):
            q, scale = quantize_rows(tensor.detach().float().cpu() - start.detach().float().cpu())
            out[name + DELTA_SUFFIX], out[name + SCALE_SUFFIX] = q.contiguous(), scale.contiguous()
        else:
            out[name] = tensor
    return out


def expand(state: Mapping[str, torch.Tensor], base: Mapping[str, torch.Tensor],
           where: str = "the adapter") -> dict[str, torch.Tensor]:
    """The adapter's tensors (float32 on the CPU for those stored as changes) from :func:`compact`'s ``state`` and
    the same base model's parameters ``base``. Raises :class:`AdapterError` for a change without its scale or
    without a base tensor of its shape (a damaged file, or an adapter of another base model)."""
    out: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        if key.endswith(SCALE_SUFFIX):
            if key.removesuffix(SCALE_SUFFIX) + DELTA_SUFFIX not in state:
                raise AdapterError(f"{where} holds {key} without its change; remove it and customize again")
            continue
        if not key.endswith(DELTA_SUFFIX):
            out[key] = tensor
            continue
        name = key.removesuffix(DELTA_SUFFIX)
        scale, start = state.get(name + SCALE_SUFFIX), base.get(name)
        if scale is None or tensor.dtype != torch.int8 or tuple(scale.shape) != (tensor.shape[0], 1):
            raise AdapterError(f"{where} holds a damaged change of {name}; remove it and customize again")
        if start is None or tuple(start.shape) != tuple(tensor.shape):
            raise AdapterError(f"{where} changes {name}, which this base model does not have in that shape; use the "
                               "base model it was trained on, or customize again")
        out[name] = start.detach().float().cpu() + tensor.float() * scale.float()
    return out
