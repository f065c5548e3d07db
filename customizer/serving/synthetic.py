"""Adapters with the right names and shapes but perturbed values, for serving tests and benchmarks.

Why: measuring switch time, batching and sizes for many repositories needs many adapters, and training them
costs minutes each on CPU. Serving only depends on the adapters' shapes, so these are made by applying the
strategy to a private copy of the base model and adding seeded noise to what it would train (LoRA's B starts
at zero, so noise is what makes it change outputs). They are stored through the real :class:`AdapterStore`.
"""

from __future__ import annotations

from typing import Any

import torch

from customizer import adapter_tensors
from customizer.adapters import AdapterMeta, AdapterStore
from customizer.model import BaseModel, load_base_model
from customizer.strategies import get_strategy


def synthetic_state(base: BaseModel, strategy: str, options: dict[str, Any] | None = None, seed: int = 0,
                    scale: float = 0.3) -> dict[str, torch.Tensor]:
    """The tensors ``strategy`` would save, each = its initial value + ``scale`` * N(0, 1) noise (seeded)."""
    model = load_base_model(base.path, str(base.device), next(base.model.parameters()).dtype, cache=False).model
    chosen = get_strategy(strategy, **(options or {}))
    chosen.apply(model)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, parameter in chosen.trainable_parameters(model):
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
            parameter.add_(scale * noise.to(parameter.device, parameter.dtype))
    return chosen.state_dict(model)


def save_synthetic_adapter(store: AdapterStore, base: BaseModel, repo_key: str, strategy: str,
                           options: dict[str, Any] | None = None, seed: int = 0, scale: float = 0.3) -> AdapterMeta:
    """Store a synthetic adapter for repository ``repo_key``; returns its meta."""
    chosen = get_strategy(strategy, **(options or {}))
    state = synthetic_state(base, chosen.name, chosen.options, seed, scale)
    meta = AdapterMeta(repo_key=repo_key, repo_name=f"synthetic-{repo_key[:8]}", worktree="", strategy=chosen.name,
                       base_fingerprint=base.fingerprint, base_model=str(base.path),
                       strategy_options=chosen.options, trainable_params=sum(t.numel() for t in state.values()),
                       stop_reason="synthetic", tensor_encoding=adapter_tensors.ENCODING)
    store.save(meta, adapter_tensors.compact(state, dict(base.model.named_parameters())))  # as customizing stores
    return meta
