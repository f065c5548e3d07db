"""L-LDB (paper §2.4): only the last decoder block trains (self-attention, cross-attention, layer norms, FFN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from torch import nn

from customizer.strategies import anatomy
from customizer.strategies.base import Strategy, StrategyOptionError, non_embedding_forward_parameters


@dataclass
class LLDBConfig:
    """Options of L-LDB."""

    #: How many decoder blocks, counted from the top, train (the paper trains 1).
    blocks: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.blocks, bool) or not isinstance(self.blocks, int) or self.blocks < 1:
            raise StrategyOptionError(f"l-ldb option blocks must be a whole number >= 1, not {self.blocks!r}")


class LLDBStrategy(Strategy):
    name: ClassVar[str] = "l-ldb"
    default_lr: ClassVar[float] = 1e-4
    description: ClassVar[str] = ("L-LDB: trains the last decoder block only (~4% of BART); cheapest backward "
                                  "pass, small adapters, slightly less fit than full")
    config_class: ClassVar[type] = LLDBConfig

    def _trained_blocks(self, model: nn.Module) -> list[nn.Module]:
        blocks = anatomy.decoder_blocks(model)
        if self.config.blocks > len(blocks):
            raise StrategyOptionError(f"l-ldb option blocks={self.config.blocks} exceeds the {len(blocks)} "
                                      "decoder blocks of this model")
        return list(blocks)[-self.config.blocks:]

    def _select(self, model: nn.Module) -> Sequence[nn.Parameter]:
        return [p for block in self._trained_blocks(model) for p in block.parameters()]

    def backward_fraction(self, model: nn.Module) -> float:
        """Backward traverses the output layer and the trained decoder blocks only.

        Approximation: share of the forward matmul parameters (see ``non_embedding_forward_parameters``) held by
        those parts; encoder and decoder token counts are treated alike.
        """
        block_params = sum(p.numel() for block in self._trained_blocks(model) for p in block.parameters())
        head_params = sum(p.numel() for p in anatomy.output_layer(model).parameters())
        return min(1.0, (block_params + head_params) / non_embedding_forward_parameters(model))
