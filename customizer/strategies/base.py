"""The strategy contract: which parameters train, how the trainable state is saved and re-applied.

Compute accounting (paper §3.4, Kaplan et al. 2020 Table 1): a forward pass costs ~2N FLOPs per token for the N
parameters that take part in matrix multiplications (embedding lookups excluded, the output projection
included); a backward pass costs ~2x the forward FLOPs of the part of the network it must traverse, i.e. from
the loss down to the lowest trainable parameter. :meth:`Strategy.backward_fraction` is that traversed share.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from customizer.errors import AdapterError, UnknownStrategyError
from customizer.model import count_parameters
from customizer.strategies import anatomy

APPLIED_ATTR = "_testtailor_strategy"


class StrategyOptionError(UnknownStrategyError):
    """An unknown or invalid option for a known strategy."""


@dataclass
class StrategyInit:
    """Repository data some strategies use to initialise their new parameters (prefix tuning)."""

    tokenizer: PreTrainedTokenizerBase
    frequent_token_ids: list[int]  # the repository's most frequent tokens, most frequent first

    @classmethod
    def from_texts(cls, tokenizer: PreTrainedTokenizerBase, texts: Iterable[str], limit: int = 1024,
                   ) -> StrategyInit:
        """Count the tokens of ``texts`` (special tokens excluded) and keep the ``limit`` most frequent."""
        special = set(tokenizer.all_special_ids)
        counts: Counter[int] = Counter()
        for text in texts:
            counts.update(i for i in tokenizer(text, add_special_tokens=False)["input_ids"] if i not in special)
        return cls(tokenizer=tokenizer, frequent_token_ids=[i for i, _ in counts.most_common(limit)])


def non_embedding_forward_parameters(model: nn.Module) -> int:
    """Parameters that cost ~2 FLOPs per token in a forward pass: all but the embedding lookups, plus the
    output projection (counted again when it is tied to the token embeddings, since it is a matmul)."""
    lookups = [anatomy.token_embeddings(model), *anatomy.position_embeddings(model)]
    lookup_params = sum(module.weight.numel() for module in lookups)
    head_params = sum(p.numel() for p in anatomy.output_layer(model).parameters())
    return count_parameters(model) - lookup_params + head_params


class Strategy(ABC):
    """A customization strategy. Subclasses set the class variables and implement :meth:`_select`."""

    name: ClassVar[str]
    default_lr: ClassVar[float]
    description: ClassVar[str]  # one line, including the trade-off
    config_class: ClassVar[type]

    def __init__(self, config: Any = None) -> None:
        self.config = config if config is not None else self.config_class()

    @classmethod
    def from_options(cls, **options: Any) -> Strategy:
        """Build the strategy from keyword options (the fields of its config dataclass)."""
        fields = {f.name for f in dataclasses.fields(cls.config_class)}
        unknown = sorted(set(options) - fields)
        if unknown:
            valid = ", ".join(sorted(fields)) or "none"
            raise StrategyOptionError(f"strategy '{cls.name}' has no option {', '.join(unknown)}; "
                                      f"valid options: {valid}")
        return cls(cls.config_class(**options))

    @property
    def options(self) -> dict[str, Any]:
        """The config as plain JSON-able values; ``get_strategy(name, **options)`` rebuilds this strategy."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self.config).items()}

    # --- what trains -------------------------------------------------------------------------------------

    @abstractmethod
    def _select(self, model: nn.Module) -> Sequence[nn.Parameter]:
        """The parameters this strategy trains, on a model it has been applied to."""

    def _prepare(self, model: PreTrainedModel, init_data: StrategyInit | None) -> nn.Module:
        """Add or wrap modules if the strategy needs to (before parameters are selected). Returns the module
        to call."""
        return model

    def apply(self, model: PreTrainedModel, init_data: StrategyInit | None = None) -> nn.Module:
        """Prepare ``model`` in place for training; returns the module to call for forward and generate."""
        previous = getattr(model, APPLIED_ATTR, None)
        if previous is not None:
            raise AdapterError(f"this model was already prepared with strategy '{previous}'; load a fresh base "
                               "model before applying a strategy")
        module = self._prepare(model, init_data)
        selected = {id(p) for p in self._select(model)}
        for parameter in model.parameters():
            parameter.requires_grad_(id(parameter) in selected)
        setattr(model, APPLIED_ATTR, self.name)
        return module

    def trainable_parameters(self, model: nn.Module) -> list[tuple[str, nn.Parameter]]:
        """(name, parameter) pairs this strategy trains; a tied tensor appears once, under its first name."""
        selected = {id(p) for p in self._select(model)}
        return [(name, p) for name, p in model.named_parameters() if id(p) in selected]

    def count(self, model: nn.Module) -> tuple[int, int]:
        """(trainable, total) parameters of the applied model, as in the paper's Table 1 (ties counted once)."""
        return sum(p.numel() for _, p in self.trainable_parameters(model)), count_parameters(model)

    def backward_fraction(self, model: nn.Module) -> float:
        """Share of the forward FLOPs the backward pass must traverse (see the module docstring)."""
        return 1.0

    # --- trainable state -----------------------------------------------------------------------------------

    def state_dict(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """Only the trainable tensors: flat, contiguous CPU copies, safe to save with safetensors."""
        return {name: p.detach().to("cpu").clone().contiguous() for name, p in self.trainable_parameters(model)}

    def load_state_dict(self, model: PreTrainedModel, state: dict[str, torch.Tensor]) -> nn.Module:
        """Apply this strategy to a freshly loaded base model (if not applied yet) and load ``state`` into it.

        Raises :class:`AdapterError` when keys or shapes do not match this strategy on this base model.
        """
        module = model if getattr(model, APPLIED_ATTR, None) == self.name else self.apply(model)
        expected = dict(self.trainable_parameters(model))
        missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        if missing or unexpected:
            detail = "; ".join(part for part in (
                f"missing {len(missing)} tensor(s), e.g. {missing[:3]}" if missing else "",
                f"unexpected {len(unexpected)} tensor(s), e.g. {unexpected[:3]}" if unexpected else "") if part)
            raise AdapterError(f"the adapter does not fit strategy '{self.name}' with options {self.options} on "
                               f"this base model ({detail}); re-customize the project or use the base model "
                               "it was trained on")
        for name, parameter in expected.items():
            tensor = state[name]
            if not isinstance(tensor, torch.Tensor) or tuple(tensor.shape) != tuple(parameter.shape):
                shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
                raise AdapterError(f"adapter tensor '{name}' has shape {shape} but the model expects "
                                   f"{tuple(parameter.shape)}; the adapter was made for another base model or "
                                   "strategy options, re-customize the project")
        with torch.no_grad():
            for name, parameter in expected.items():
                parameter.copy_(state[name].to(device=parameter.device, dtype=parameter.dtype))
        return module
