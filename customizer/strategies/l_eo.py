"""L-EO (paper §2.3): only the token embeddings (+ learned position embeddings) and the output layer train.

When the output layer is tied to the token embeddings (BART, T5 v1.0) the shared tensor trains, is counted and
saved once, and loading copies into the shared tensor, so the tie holds. BART's ``final_logits_bias`` is a
buffer and stays as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from customizer.strategies import anatomy
from customizer.strategies.base import Strategy, StrategyOptionError


@dataclass
class LEOConfig:
    """Options of L-EO."""

    #: Also train learned absolute position embeddings (BART); models with relative positions (T5) have none.
    position_embeddings: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.position_embeddings, bool):
            raise StrategyOptionError("l-eo option position_embeddings must be true or false")


class LEOStrategy(Strategy):
    name: ClassVar[str] = "l-eo"
    # on the example project at 0.028 PF-s (44 steps), best validation loss 2.846 at 1e-4, 2.196 at 3e-4, 1.766 at
    # 1e-3, 1.852 at 3e-3 (`python bench/bench_customize.py --strategies l-eo --max-pflops 0.028 --lr ...`,
    # docs/benchmarks.md): so few steps move the embeddings too little at the rate of the block strategies
    default_lr: ClassVar[float] = 1e-3
    description: ClassVar[str] = ("L-EO: trains embeddings and output layer only (~13% of BART); cheap to store, "
                                  "but backward still runs through the whole model")
    config_class: ClassVar[type] = LEOConfig

    def _select(self, model: nn.Module) -> Sequence[nn.Parameter]:
        modules: list[nn.Module] = [anatomy.token_embeddings(model), anatomy.output_layer(model)]
        if self.config.position_embeddings:
            modules.extend(anatomy.position_embeddings(model))
        return [p for module in modules for p in module.parameters()]
