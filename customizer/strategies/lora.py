"""LoRA (a modern extra beyond the paper) through ``peft``: low-rank updates on the attention projections.

The adapter is injected into the model in place (``peft.inject_adapter_in_model``), so the model keeps its own
class, ``forward`` and ``generate``. The state is the LoRA tensors only, named as in ``model.named_parameters``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from peft import LoraConfig, inject_adapter_in_model
from torch import nn
from transformers import PreTrainedModel

from customizer.strategies import anatomy
from customizer.strategies.base import Strategy, StrategyInit, StrategyOptionError

_PROJECTIONS = ("q", "k", "v", "o")
_LORA_MARKERS = (".lora_A.", ".lora_B.")


@dataclass
class LoraStrategyConfig:
    """Options of LoRA."""

    #: Rank of each low-rank update.
    r: int = 8
    #: Scaling numerator: the update is scaled by alpha / r.
    alpha: int = 16
    #: Dropout on the LoRA input during training.
    dropout: float = 0.05
    #: Which attention projections get an update: any of "q", "k", "v", "o".
    projections: tuple[str, ...] = _PROJECTIONS
    #: Also adapt the decoder's cross-attention (not only the self-attention of each block).
    cross_attention: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.r, bool) or not isinstance(self.r, int) or self.r < 1:
            raise StrategyOptionError(f"lora option r must be a whole number >= 1, not {self.r!r}")
        if not isinstance(self.alpha, int | float) or self.alpha <= 0:
            raise StrategyOptionError(f"lora option alpha must be a positive number, not {self.alpha!r}")
        if not isinstance(self.dropout, int | float) or not 0 <= self.dropout < 1:
            raise StrategyOptionError(f"lora option dropout must be in [0, 1), not {self.dropout!r}")
        self.projections = tuple(self.projections)
        bad = [p for p in self.projections if p not in _PROJECTIONS]
        if bad or not self.projections:
            raise StrategyOptionError(f"lora option projections must be a non-empty subset of {_PROJECTIONS}, "
                                      f"not {list(self.projections)}")
        if not isinstance(self.cross_attention, bool):
            raise StrategyOptionError("lora option cross_attention must be true or false")


class LoraStrategy(Strategy):
    name: ClassVar[str] = "lora"
    # on the example project at 0.028 PF-s (44 steps), best validation loss 2.513 at 5e-4, 1.965 at 2e-3, 1.854 at
    # 5e-3, 2.139 at 1e-2 (`python bench/bench_customize.py --strategies lora --max-pflops 0.028 --lr ...`,
    # docs/benchmarks.md)
    default_lr: ClassVar[float] = 5e-3
    description: ClassVar[str] = ("LoRA: trains low-rank updates of the attention projections (<1% of BART); "
                                  "tiny adapters, near-full quality on many tasks, backward through everything")
    config_class: ClassVar[type] = LoraStrategyConfig

    def _target_names(self, model: nn.Module) -> list[str]:
        names = []
        for name, module, kind in anatomy.self_attention_modules(model):
            if kind == "cross" and not self.config.cross_attention:
                continue
            projections = anatomy.attention_projections(module)
            index = {"q": 0, "k": 1, "v": 2, "o": 3}
            names.extend(f"{name}.{projections.names[index[p]]}" for p in self.config.projections)
        return names

    def _prepare(self, model: PreTrainedModel, init_data: StrategyInit | None) -> nn.Module:
        lora = LoraConfig(r=self.config.r, lora_alpha=self.config.alpha, lora_dropout=self.config.dropout,
                          target_modules=self._target_names(model), bias="none")
        inject_adapter_in_model(lora, model)
        return model

    def _select(self, model: nn.Module) -> Sequence[nn.Parameter]:
        return [p for name, p in model.named_parameters() if any(marker in name for marker in _LORA_MARKERS)]
