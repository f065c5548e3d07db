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
    default_lr: ClassVar[float] = 5e-5
    description: ClassVar[str] = ("Custom: trains all parameters; usually the best fit, but each adapter is a "
                                  "full copy of the model and training costs the most")
    config_class: ClassVar[type] = FullConfig

    def _select(self, model: nn.Module) -> Sequence[nn.Parameter]:
        return list(model.parameters())
