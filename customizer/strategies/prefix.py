"""Prefix tuning (paper §2.5): P trainable key/value vectors in the self-attention of every block.

Unlike PEFT's prefix tuning (decoder cache only), the prefixes sit in the self-attention of EVERY encoder and
decoder block, as in the paper; ``cross_attention=True`` adds them to the decoder's cross-attention too.

How: each prefixed attention module gets a :class:`AttentionPrefix` child (the parameters) and a config view
whose ``_attn_implementation`` routes its attention call through :func:`prefixed_attention`. That function runs
after the module's k/v projections and after its kv-cache update, prepends the prefix keys/values, extends the
attention mask (prefix positions always visible; causal masks aligned bottom-right) and pads T5's relative
position bias with zeros, then calls the model's own attention implementation (sdpa or eager). The kv cache
never holds the prefixes, so decoder positions, cache lengths and beam reordering are unchanged and the
prefix appears exactly once at every decoding step. The model-level masks are still built for the model's own
implementation because only the attention modules see the view.

Initialisation: the frozen model reads the repository's most frequent tokens (``StrategyInit``) and each
module's key/value projections of those positions become its initial prefixes; without init data they start
as small random vectors.

Gating (``gated=True``, the default): the prefix is attended to with its own softmax and its output is added to
the module's attention output times a per-head gate that starts at zero, so customization starts exactly at the
base model's validation loss and every improvement is an improvement over the base (He et al. 2022 show that
prefix tuning with the joint softmax is this interpolation with a fixed, input-dependent gate; LLaMA-Adapter
zero-initialises it). With the joint softmax of Li & Liang (``gated=False``, and adapters saved without gates),
200 prefix positions take attention mass from the real tokens from the first step: on the example project the
validation loss started 0.2-0.3 nats above the base model's and a short budget never recovered it
(docs/benchmarks.md).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS, AttentionInterface

from customizer.errors import ModelLoadError
from customizer.strategies import anatomy
from customizer.strategies.base import APPLIED_ATTR, Strategy, StrategyInit, StrategyOptionError

PREFIX_ATTENTION = "testtailor_prefix"
PREFIX_MODULE = "testtailor_prefix"
SUPPORTED_ATTENTION = ("sdpa", "eager")


@dataclass
class PrefixConfig:
    """Options of prefix tuning."""

    #: P, the number of virtual key/value positions per attention module (the paper uses 200).
    length: int = 200
    #: Also prefix the decoder's cross-attention (more parameters, counted separately).
    cross_attention: bool = False
    #: Standard deviation of the random init used when there is no repository data to initialise from.
    init_std: float = 0.02
    #: Own softmax over the prefix, added through a per-head gate (see the module docstring); False: joint softmax.
    gated: bool = True
    #: Initial value of the gates (0: the prefixed model starts as the base model).
    gate_init: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.length, bool) or not isinstance(self.length, int) or not 1 <= self.length <= 4096:
            raise StrategyOptionError(f"prefix option length must be a whole number from 1 to 4096, "
                                      f"not {self.length!r}")
        if not isinstance(self.cross_attention, bool):
            raise StrategyOptionError("prefix option cross_attention must be true or false")
        if not isinstance(self.init_std, int | float) or not self.init_std > 0:
            raise StrategyOptionError(f"prefix option init_std must be a positive number, not {self.init_std!r}")
        if not isinstance(self.gated, bool):
            raise StrategyOptionError("prefix option gated must be true or false")
        if isinstance(self.gate_init, bool) or not isinstance(self.gate_init, int | float):
            raise StrategyOptionError(f"prefix option gate_init must be a number, not {self.gate_init!r}")


class AttentionPrefix(nn.Module):
    """The trainable prefix of one attention module: keys and values of shape (kv heads, P, head dim), and with
    ``gated`` a gate per attention head (query heads)."""

    def __init__(self, length: int, heads: int, head_dim: int, causal: bool,
                 device: torch.device | None = None, dtype: torch.dtype | None = None, gated: bool = False,
                 query_heads: int | None = None) -> None:
        super().__init__()
        self.key = nn.Parameter(torch.zeros(heads, length, head_dim, device=device, dtype=dtype))
        self.value = nn.Parameter(torch.zeros(heads, length, head_dim, device=device, dtype=dtype))
        self.gate = (nn.Parameter(torch.zeros(query_heads or heads, device=device, dtype=dtype)) if gated
                     else None)
        self.causal = causal
        #: False: attention runs as if no prefix were installed (a serving slot with no prefix adapter active).
        self.enabled = True
        #: Per-row prefixes (rows, kv heads, P, head dim) and gates (rows, heads) or None, used instead of the
        #: parameters while set, so one batch can serve several repositories; see :func:`set_row_prefixes`.
        self.rows: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None] | None = None

    @property
    def gated(self) -> bool:
        return self.gate is not None if self.rows is None else self.rows[2] is not None

    def gates(self, batch: int, dtype: torch.dtype) -> torch.Tensor:
        """(batch or 1, 1, heads, 1) gates to multiply the prefix's attention output (batch, queries, heads,
        dim) with."""
        if self.rows is None:
            assert self.gate is not None
            return self.gate.to(dtype).view(1, 1, -1, 1)
        gates = self.rows[2]
        assert gates is not None
        repeat = batch // gates.shape[0]
        if repeat > 1:
            gates = gates.repeat_interleave(repeat, dim=0)
        return gates.to(dtype).view(gates.shape[0], 1, -1, 1)

    @property
    def length(self) -> int:
        return self.key.shape[1] if self.rows is None else self.rows[0].shape[2]

    def _prefix_states(self, batch: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, heads, P, dim) prefix keys and values: the shared parameters, or the per-row ones repeated
        for beam search (generate repeats each row ``num_beams`` times in a row, ``repeat_interleave``)."""
        if self.rows is None:
            return (self.key.to(dtype).unsqueeze(0).expand(batch, -1, -1, -1),
                    self.value.to(dtype).unsqueeze(0).expand(batch, -1, -1, -1))
        keys, values, _ = self.rows
        repeat, rest = divmod(batch, keys.shape[0])
        if rest or not repeat:
            raise ValueError(f"a batch of {batch} rows cannot use per-row prefixes for {keys.shape[0]} rows")
        if repeat > 1:
            keys, values = keys.repeat_interleave(repeat, dim=0), values.repeat_interleave(repeat, dim=0)
        return keys.to(dtype), values.to(dtype)

    def separate(self, query: torch.Tensor, key: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Keys and values of the prefix alone, (batch, heads, P, dim), and an additive all-visible mask
        (1, 1, queries, P) for the gated path's own softmax (explicit, so no implementation applies a causal
        mask to the prefix)."""
        prefix_key, prefix_value = self._prefix_states(key.shape[0], key.dtype)
        mask = query.new_zeros((1, 1, query.shape[-2], prefix_key.shape[-2]))
        return prefix_key, prefix_value, mask

    def extend(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None,
               position_bias: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        """Prepend the prefix to (batch, heads, keys, dim) key/value states; extend mask and position bias."""
        batch, q_len, k_len, length = key.shape[0], query.shape[-2], key.shape[-2], self.length
        prefix_key, prefix_value = self._prefix_states(batch, key.dtype)
        key = torch.cat([prefix_key, key], dim=-2)
        value = torch.cat([prefix_value, value], dim=-2)
        if mask is None:
            if self.causal and q_len > 1:  # the model relied on is_causal, which would misalign with a prefix
                rows = torch.arange(q_len, device=key.device)[:, None] + (k_len - q_len)
                causal = rows >= torch.arange(k_len, device=key.device)[None, :]
                visible = torch.ones(q_len, length, dtype=torch.bool, device=key.device)
                mask = torch.cat([visible, causal], dim=-1).view(1, 1, q_len, length + k_len)
        elif mask.dim() in (2, 4):  # (batch, keys) padding mask or (batch, 1|heads, queries, keys)
            fill = True if mask.dtype == torch.bool else (1 if mask.dim() == 2 else 0)
            mask = torch.cat([mask.new_full((*mask.shape[:-1], length), fill), mask], dim=-1)
        else:
            raise ModelLoadError(f"prefix tuning cannot extend an attention mask of shape {tuple(mask.shape)}; "
                                 "load the base model with attn_implementation='sdpa'")
        if position_bias is not None:
            zeros = position_bias.new_zeros((*position_bias.shape[:-1], length))
            position_bias = torch.cat([zeros, position_bias], dim=-1)
        return key, value, mask, position_bias


class _PrefixConfigView:
    """An attention module's view of the model config that routes its attention through the prefix."""

    def __init__(self, config: Any) -> None:
        object.__setattr__(self, "_base", config)

    @property
    def _attn_implementation(self) -> str:
        return PREFIX_ATTENTION

    @property
    def base_attn_implementation(self) -> str:
        return self._base._attn_implementation or "eager"

    def __getattr__(self, name: str) -> Any:
        if name == "_base":
            raise AttributeError(name)
        return getattr(self._base, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._base, name, value)


def _generic_eager(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                   attention_mask: torch.Tensor | None, scaling: float | None = None, dropout: float = 0.0,
                   position_bias: torch.Tensor | None = None, **_: Any) -> tuple[torch.Tensor, torch.Tensor]:
    scores = torch.matmul(query, key.transpose(2, 3)) * (query.shape[-1] ** -0.5 if scaling is None else scaling)
    if position_bias is not None:
        scores = scores + position_bias
    if attention_mask is not None:
        if attention_mask.dtype == torch.bool:
            attention_mask = torch.zeros_like(scores).masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
        scores = scores + attention_mask
    weights = nn.functional.dropout(scores.softmax(dim=-1), p=dropout, training=module.training)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


def prefixed_attention(module: nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                       attention_mask: torch.Tensor | None, **kwargs: Any) -> tuple[torch.Tensor, Any]:
    """Attention with the module's prefix prepended; delegates to the model's own implementation."""
    prefix: AttentionPrefix = getattr(module, PREFIX_MODULE)
    base = module.config.base_attn_implementation
    if base == "eager":
        function = getattr(sys.modules.get(type(module).__module__), "eager_attention_forward", _generic_eager)
    else:
        function = ALL_ATTENTION_FUNCTIONS[base]
    if prefix.enabled and prefix.gated:
        output, weights = function(module, query, key, value, attention_mask, **kwargs)
        prefix_key, prefix_value, prefix_mask = prefix.separate(query, key)
        prefix_kwargs = {name: arg for name, arg in kwargs.items() if name not in ("position_bias", "is_causal")}
        prefix_output, _ = function(module, query, prefix_key, prefix_value, prefix_mask, **prefix_kwargs)
        return output + prefix_output * prefix.gates(query.shape[0], prefix_output.dtype), weights
    if prefix.enabled:
        key, value, attention_mask, position_bias = prefix.extend(query, key, value, attention_mask,
                                                                  kwargs.get("position_bias"))
        if position_bias is not None:
            kwargs["position_bias"] = position_bias
    return function(module, query, key, value, attention_mask, **kwargs)


AttentionInterface.register(PREFIX_ATTENTION, prefixed_attention)


def _check_attention_implementation(model: PreTrainedModel) -> None:
    implementation = model.config._attn_implementation or "eager"
    if implementation not in SUPPORTED_ATTENTION:
        raise ModelLoadError(f"prefix tuning supports attention implementations {SUPPORTED_ATTENTION}, not "
                             f"'{implementation}'; load the base model with attn_implementation='sdpa'")


def _attach(module: nn.Module, prefix: AttentionPrefix) -> None:
    """Give an attention module its prefix and route its attention call through :func:`prefixed_attention`."""
    module.add_module(PREFIX_MODULE, prefix)
    module.config = _PrefixConfigView(module.config)


def install_prefix_slots(model: PreTrainedModel) -> dict[str, AttentionPrefix]:
    """Give every attention module (encoder, decoder, cross) a disabled prefix slot, for serving many prefix
    adapters on one model; returns {state-key stem: slot}, the stem being ``<module name>.testtailor_prefix``
    as in :meth:`PrefixStrategy.state_dict`. Call it before other adapters wrap the attention projections.

    A disabled slot leaves attention exactly as it was; :func:`set_row_prefixes` fills and enables slots.
    """
    _check_attention_implementation(model)
    slots: dict[str, AttentionPrefix] = {}
    for name, module, kind in anatomy.self_attention_modules(model):
        heads, head_dim = anatomy.attention_geometry(module)
        weight = anatomy.attention_projections(module).k.weight
        slot = AttentionPrefix(1, heads, head_dim, causal=kind == "decoder", device=weight.device,
                               dtype=weight.dtype).requires_grad_(False)
        slot.enabled = False
        _attach(module, slot)
        slots[f"{name}.{PREFIX_MODULE}"] = slot
    return slots


def set_row_prefixes(slots: dict[str, AttentionPrefix], states: Sequence[dict[str, torch.Tensor]]) -> None:
    """Row ``i`` of the next batches attends to the prefixes of ``states[i]`` (a prefix adapter's tensors).

    Every row must have the same prefix length, prefix the same modules and be gated or not alike (group rows by
    strategy options and :func:`prefix_batch_key`);
    slots no state fills stay disabled. Undo with :func:`clear_row_prefixes`.
    """
    clear_row_prefixes(slots)
    for stem, slot in slots.items():
        present = [f"{stem}.key" in state for state in states]
        if not any(present):
            continue
        if not all(present):
            raise ValueError(f"some rows have no prefix for {stem}; batch only adapters with the same options")
        gated = [f"{stem}.gate" in state for state in states]
        if any(gated) and not all(gated):
            raise ValueError(f"some rows have gated prefixes for {stem} and some not; batch them separately")
        slot.rows = (torch.stack([state[f"{stem}.key"] for state in states]),
                     torch.stack([state[f"{stem}.value"] for state in states]),
                     torch.stack([state[f"{stem}.gate"] for state in states]) if all(gated) else None)
        slot.enabled = True


def prefix_batch_key(state: dict[str, torch.Tensor]) -> tuple[int, tuple[str, ...], bool]:
    """(prefix length, prefixed module stems, gated) of a prefix adapter's tensors: rows with equal keys can
    share one batch (:func:`set_row_prefixes`)."""
    stems = tuple(sorted(name.rpartition(".")[0] for name in state if name.endswith(".key")))
    length = state[f"{stems[0]}.key"].shape[1] if stems else 0
    return length, stems, any(name.endswith(".gate") for name in state)


def clear_row_prefixes(slots: dict[str, AttentionPrefix]) -> None:
    """Disable every slot: attention runs as in the base model again."""
    for slot in slots.values():
        slot.rows = None
        slot.enabled = False


def _cycled(ids: Sequence[int], length: int) -> list[int]:
    return [ids[i % len(ids)] for i in range(length)]


@torch.no_grad()
def _activation_prefixes(model: PreTrainedModel, targets: list[tuple[nn.Module, str]], init_data: StrategyInit,
                         length: int) -> dict[int, tuple[torch.Tensor, torch.Tensor]]:
    """k/v projections of the frozen model reading the most frequent tokens, per target attention module."""
    window = min(length, int(getattr(model.config, "max_position_embeddings", 0) or 512), 512)
    rows = -(-length // window)
    device = anatomy.token_embeddings(model).weight.device
    ids = torch.tensor(_cycled(init_data.frequent_token_ids, rows * window), device=device).view(rows, window)
    captured: dict[tuple[int, str], torch.Tensor] = {}
    handles = []
    for module, _ in targets:
        projections = anatomy.attention_projections(module)
        for which, linear in (("k", projections.k), ("v", projections.v)):
            def hook(_m: nn.Module, _i: Any, output: torch.Tensor, key: tuple[int, str] = (id(module), which)) -> None:
                captured.setdefault(key, output.detach())
            handles.append(linear.register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        model(input_ids=ids, attention_mask=torch.ones_like(ids), decoder_input_ids=ids, use_cache=False)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    result = {}
    for module, _ in targets:
        heads, head_dim = anatomy.attention_geometry(module)
        k, v = (captured[(id(module), which)].reshape(-1, heads, head_dim)[:length].transpose(0, 1)
                for which in ("k", "v"))
        result[id(module)] = (k, v)
    return result


def _query_heads(module: nn.Module, kv_heads: int) -> int:
    """Attention heads of the module's queries (more than its key/value heads under grouped-query attention)."""
    for name in ("num_heads", "n_heads", "num_attention_heads"):
        value = getattr(module, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return kv_heads


class PrefixStrategy(Strategy):
    name: ClassVar[str] = "prefix"
    # zero-initialised gates and O(1) activation keys/values: at 5e-4 a short CPU budget barely moved them; on the
    # example project 2e-2 lowered the validation loss fastest of 5e-3 and 2e-2 (docs/benchmarks.md)
    default_lr: ClassVar[float] = 2e-2
    description: ClassVar[str] = ("Prefix: trains P virtual key/value vectors per attention module (~2.4% of "
                                  "BART, added to the model); smallest adapters, longer attention at inference")
    config_class: ClassVar[type] = PrefixConfig

    def _targets(self, model: nn.Module) -> list[tuple[nn.Module, str]]:
        kinds = ("encoder", "decoder", "cross") if self.config.cross_attention else ("encoder", "decoder")
        return [(module, kind) for _, module, kind in anatomy.self_attention_modules(model) if kind in kinds]

    def _prepare(self, model: PreTrainedModel, init_data: StrategyInit | None) -> nn.Module:
        _check_attention_implementation(model)
        targets = self._targets(model)
        length = self.config.length
        initial = (_activation_prefixes(model, targets, init_data, length)
                   if init_data is not None and init_data.frequent_token_ids else {})
        for module, kind in targets:
            heads, head_dim = anatomy.attention_geometry(module)
            weight = anatomy.attention_projections(module).k.weight
            prefix = AttentionPrefix(length, heads, head_dim, causal=kind == "decoder", device=weight.device,
                                     dtype=weight.dtype, gated=self.config.gated,
                                     query_heads=_query_heads(module, heads))
            with torch.no_grad():
                if prefix.gate is not None:
                    prefix.gate.fill_(self.config.gate_init)
                if id(module) in initial:
                    prefix.key.copy_(initial[id(module)][0])
                    prefix.value.copy_(initial[id(module)][1])
                else:
                    prefix.key.normal_(0.0, self.config.init_std)
                    prefix.value.normal_(0.0, self.config.init_std)
            _attach(module, prefix)
        return model

    def load_state_dict(self, model: PreTrainedModel, state: dict[str, torch.Tensor]) -> nn.Module:
        """As :meth:`Strategy.load_state_dict`; an adapter saved before gates existed (no ``.gate`` tensors)
        is loaded as it was trained: with the joint softmax."""
        if (self.config.gated and state and not any(name.endswith(".gate") for name in state)
                and getattr(model, APPLIED_ATTR, None) is None):
            self.config = dataclasses.replace(self.config, gated=False)
        return super().load_state_dict(model, state)

    def _prefixes(self, model: nn.Module) -> list[tuple[AttentionPrefix, str]]:
        found = []
        for module, kind in self._targets(model):
            prefix = getattr(module, PREFIX_MODULE, None)
            if isinstance(prefix, AttentionPrefix):
                found.append((prefix, kind))
        return found

    def _select(self, model: nn.Module) -> Sequence[nn.Parameter]:
        return [p for prefix, _ in self._prefixes(model) for p in prefix.parameters()]

    def count_by_kind(self, model: nn.Module) -> dict[str, int]:
        """Prefix parameters per placement: "encoder", "decoder" (self-attention) and "cross"."""
        counts = {"encoder": 0, "decoder": 0, "cross": 0}
        for prefix, kind in self._prefixes(model):
            counts[kind] += sum(p.numel() for p in prefix.parameters())
        return counts
