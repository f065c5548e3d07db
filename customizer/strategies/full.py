"""Custom fine-tuning (paper §2.2): every parameter trains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from customizer.strategies.base import Strategy


@dataclass
class FullConfig:
    """Custom fine-tuning has no options: the whole model trains."""


class FullStrategy(Strategy):
    name: ClassVar[str] = "full"
    # on the example project at 0.028 PF-s (44 steps), best validation loss 1.812 at 5e-5, 1.500 at 2e-4, 1.575 at
    # 6e-4 (`python bench/bench_customize.py --strategies full --max-pflops 0.028 --lr ...`, docs/benchmarks.md)
    default_lr: ClassVar[float] = 2e-4
    description: ClassVar[str] = ("Custom: trains all parameters; usually the best fit, but each adapter is a "
                                  "full copy of the model and training costs the most")
    config_class: ClassVar[type] = FullConfig

    def _select(self, model: nn.Module) -> Sequence[nn.Parameter]:
        return list(model.parameters())
