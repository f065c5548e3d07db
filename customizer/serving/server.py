"""Serve many repositories' adapters from ONE base model: an adapter cache and mixed-adapter batches.

Why: the paper's case for lightweight strategies is deployment. An adapter is a few MB where the model is tens
of MB or more, so one process can keep one base model and the adapters of many repositories, switch between
them per request without reloading anything, and batch requests of different repositories together.

How each strategy is switched on the shared base model (loaded once with ``load_base_model(cache=False)``,
because serving changes it in place):

* ``l-ldb`` / ``l-eo``: the adapter's tensors are swapped in by pointing each trained parameter's ``.data`` at
  the cached tensor, and the base model's own tensors are pointed back afterwards: no copy, so a switch costs
  microseconds whatever the adapter's size. Tied tensors (BART's embeddings and output layer) are one
  ``Parameter``, so the tie holds. Rows of several repositories share one ``generate`` call: the modules the
  adapters change compute each row with its adapter's values (:mod:`customizer.serving.row_params`); an adapter
  of a module that cannot (none among BART's and T5's) gets one sub-batch per adapter.
* ``prefix``: every attention module gets a disabled prefix slot at start-up
  (:func:`customizer.strategies.prefix.install_prefix_slots`); a batch sets per-row key/value prefixes, so rows
  of different repositories share one ``generate`` call (rows are grouped by prefix length and placement).
* ``lora``: the base model is wrapped once in a ``peft`` ``PeftModel`` and each cached LoRA adapter is one
  named adapter in it (``add_adapter`` / ``delete_adapter`` on eviction); a mixed batch is one
  ``generate(adapter_names=[...])`` call, peft's mixed-adapter batch inference.
* ``full``: the adapter IS a whole model, so it is cached as a separate module (one more model in memory per
  cached adapter; the byte limit counts it) and its rows form one sub-batch per adapter.

Results always come back in request order. The cache is an LRU bounded by count and/or bytes; a stored adapter
that changes on disk (a new customization) is reloaded on its next request.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from customizer.adapters import AdapterMeta, AdapterStore
from customizer.errors import AdapterError, ServingSettingsError
from customizer.model import BaseModel, load_base_model
from customizer.serving.lru import BoundedLRU
from customizer.serving.row_params import RowWeights, modules_holding, pointed_at, row_routable
from customizer.strategies import canonical_name, get_strategy
from customizer.strategies.prefix import (
    clear_row_prefixes,
    install_prefix_slots,
    prefix_batch_key,
    set_row_prefixes,
)

SWAP_STRATEGIES = ("l-ldb", "l-eo")
BASE_ADAPTER = "__base__"  # peft's name for "no adapter" in a mixed batch


@dataclass(frozen=True)
class AdapterRef:
    """Which adapter a request uses: a repository key (the root commit) and a strategy."""

    repo_key: str
    strategy: str


@dataclass
class Request:
    """One generation request: tokenized source and the adapter to use (None: the base model)."""

    source_ids: list[int]
    adapter: AdapterRef | None = None


@dataclass
class RowOutput:
    """The generated sequences of one request (``num_return_sequences`` of them, best first for beam search)."""

    sequences: list[list[int]]
    scores: list[float] | None = None  # beam scores (length-normalized log-probabilities); None for greedy


@dataclass
class CachedAdapter:
    """An adapter held in memory, ready to switch in."""

    ref: AdapterRef
    meta: AdapterMeta
    signature: tuple[int, int, int] | None
    nbytes: int
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)  # on the model's device and dtype
    module: nn.Module | None = None  # full: a separate model
    peft_name: str | None = None  # lora: its adapter name in the PeftModel
    batch_key: tuple[Any, ...] = ()  # adapters with equal keys can share one generate call


def _nbytes(tensors: Any) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


class AdapterServer:
    """One base model plus an LRU cache of adapters; per-request switching and mixed-adapter batches.

    ``max_adapters`` / ``max_bytes`` bound the cache (None: unbounded); bytes count the tensors as held in
    memory (a ``full`` adapter counts its whole model). ``max_batch`` caps the requests of one ``generate``
    call: past a few rows (x beams) a CPU gains nothing from a bigger batch and loses to padding and cache
    misses (bench_serving measured a 32-request mixed batch slower than 8 batches of 4), so rows that may share
    a call are sorted by source length and cut into calls of at most ``max_batch``.
    Thread-safe: one request batch runs at a time.
    """

    def __init__(self, store: AdapterStore | None = None, base: BaseModel | None = None, *,
                 base_model: str | None = None, device: str = "auto", max_adapters: int | None = 8,
                 max_bytes: int | None = None, max_batch: int = 8) -> None:
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ServingSettingsError(f"max_batch must be a whole number >= 1, not {max_batch!r}")
        self.max_batch = max_batch
        self.store = store or AdapterStore()
        self.base = base if base is not None else load_base_model(base_model, device, cache=False)
        self.model = self.base.model
        self.model.eval()
        self._lock = threading.RLock()
        # Names as the strategies save them, taken before anything wraps a module (LoRA renames projections).
        self._params = dict(self.model.named_parameters(remove_duplicate=False))
        self._originals = {name: p.data for name, p in self._params.items()}
        self._prefix_slots = install_prefix_slots(self.model)
        self._peft: Any = None
        self._lora_layers: list[nn.Module] = []
        self._names = itertools.count()
        self._expected: dict[str, dict[str, tuple[int, ...]]] = {}
        self.cache: BoundedLRU[AdapterRef, CachedAdapter] = BoundedLRU(max_adapters, max_bytes, self._evicted)

    # --- cache ---------------------------------------------------------------------------------------------

    def cached(self) -> list[AdapterRef]:
        """Adapters in memory, least recently used first."""
        return list(self.cache)

    def adapter(self, ref: AdapterRef) -> CachedAdapter:
        """The cached adapter for ``ref``, loaded (and validated) from the store when absent or changed on disk."""
        ref = AdapterRef(ref.repo_key, canonical_name(ref.strategy))
        with self._lock:
            signature = self.store.signature(ref.repo_key, ref.strategy)
            if signature is None:
                raise AdapterError(f"no {ref.strategy} adapter for repository {ref.repo_key[:12]}; run `testtailor "
                                   f"customize-project REPO --strategy {ref.strategy}` first")
            entry = self.cache.get(ref)
            if entry is not None and entry.signature == signature:
                return entry
            meta, state = self.store.load(ref.repo_key, ref.strategy, self.base.fingerprint, str(self.base.path),
                                          base=self._originals)
            entry = self._prepare(ref, meta, signature, state)
            self.cache.put(ref, entry, entry.nbytes)
            return entry

    def _expected_shapes(self, meta: AdapterMeta) -> dict[str, tuple[int, ...]]:
        """Tensor names and shapes the adapter's strategy saves on this base model, from a weightless copy."""
        cache_key = json.dumps([meta.strategy, meta.strategy_options], sort_keys=True)
        if cache_key not in self._expected:
            from transformers import AutoModelForSeq2SeqLM

            with torch.device("meta"):
                skeleton = AutoModelForSeq2SeqLM.from_config(self.model.config,
                                                             attn_implementation=self.model.config._attn_implementation)
            strategy = get_strategy(meta.strategy, **meta.strategy_options)
            strategy.apply(skeleton)
            self._expected[cache_key] = {name: tuple(p.shape) for name, p in strategy.trainable_parameters(skeleton)}
        return self._expected[cache_key]

    def _check_state(self, meta: AdapterMeta, state: dict[str, torch.Tensor]) -> None:
        expected = self._expected_shapes(meta)
        missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        wrong = sorted(name for name in set(expected) & set(state) if tuple(state[name].shape) != expected[name])
        if missing or unexpected or wrong:
            detail = "; ".join(part for part in (
                f"missing {missing[:3]}" if missing else "", f"unexpected {unexpected[:3]}" if unexpected else "",
                f"wrong shape {wrong[:3]}" if wrong else "") if part)
            raise AdapterError(f"the {meta.strategy} adapter for {meta.repo_name} does not fit this base model "
                               f"({detail}); re-customize the project with `testtailor customize-project "
                               f"{meta.worktree} --strategy {meta.strategy}`")

    def _prepare(self, ref: AdapterRef, meta: AdapterMeta, signature: tuple[int, int, int] | None,
                 state: dict[str, torch.Tensor]) -> CachedAdapter:
        self._check_state(meta, state)
        strategy = get_strategy(meta.strategy, **meta.strategy_options).name
        if strategy == "full":
            model = load_base_model(self.base.path, str(self.base.device), self._dtype, cache=False).model
            module = get_strategy("full").load_state_dict(model, state).eval()
            return CachedAdapter(ref, meta, signature, _nbytes(module.parameters()), module=module,
                                 batch_key=("full", ref))
        like = {name: self._originals[name] for name in state} if strategy in SWAP_STRATEGIES else {}
        tensors = {name: t.to(device=self.base.device, dtype=like[name].dtype if name in like else self._dtype)
                   for name, t in state.items()}
        entry = CachedAdapter(ref, meta, signature, _nbytes(tensors.values()), tensors=tensors)
        if strategy in SWAP_STRATEGIES:
            entry.batch_key = ("swap-rows",) if self._rows_routable(state) else ("swap", ref)
        elif strategy == "prefix":
            entry.batch_key = ("prefix", *prefix_batch_key(tensors))
        else:  # lora
            entry.peft_name = self._add_lora(meta, tensors)
            entry.batch_key = ("lora",)
        return entry

    def _rows_routable(self, state: dict[str, torch.Tensor]) -> bool:
        """True when every module holding one of these parameters can compute rows with different values."""
        return all(map(row_routable, modules_holding(self.model, (id(self._params[name]) for name in state))))

    def _row_weights(self, entries: Sequence[CachedAdapter]) -> RowWeights:
        """Rows of several swap adapters in one batch: each request's rows with its adapter's tensors."""
        groups: dict[AdapterRef, int] = {}
        overrides: list[dict[int, torch.Tensor]] = []
        for entry in entries:
            if entry.ref not in groups:
                groups[entry.ref] = len(overrides)
                overrides.append({id(self._params[name]): tensor for name, tensor in entry.tensors.items()})
        return RowWeights(self.model, overrides, [groups[entry.ref] for entry in entries])

    @property
    def _dtype(self) -> torch.dtype:
        return next(iter(self._originals.values())).dtype

    def _add_lora(self, meta: AdapterMeta, tensors: dict[str, torch.Tensor]) -> str:
        """Add the adapter to the shared PeftModel under a fresh name and load its tensors into it."""
        from peft import LoraConfig, get_peft_model

        options = get_strategy("lora", **meta.strategy_options).config
        targets = sorted({name.partition(".lora_A.")[0] for name in tensors if ".lora_A." in name})
        config = LoraConfig(r=options.r, lora_alpha=options.alpha, lora_dropout=options.dropout,
                            target_modules=targets, bias="none", task_type="SEQ_2_SEQ_LM")
        name = f"tt{next(self._names)}"
        if self._peft is None:
            self._peft = get_peft_model(self.model, config, adapter_name=name)
        else:
            self._peft.add_adapter(name, config)
        self._peft.eval()
        self._peft.requires_grad_(False)
        from peft.tuners.lora import LoraLayer

        self._lora_layers = [module for module in self.model.modules() if isinstance(module, LoraLayer)]
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for key, tensor in tensors.items():
                params[key.replace(".default.", f".{name}.")].copy_(tensor)
        tensors.clear()  # the PeftModel holds them now
        return name

    def _evicted(self, _ref: AdapterRef, entry: CachedAdapter) -> None:
        if entry.peft_name is not None and self._peft is not None:
            others = [name for name in self._peft.peft_config if name != entry.peft_name]
            if others:  # never delete the active adapter: PeftModel would keep its name as the active one
                self._set_lora(others[0])
            self._peft.delete_adapter(entry.peft_name)

    # --- switching -----------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lora_off(self) -> Iterator[None]:
        if self._peft is None or not self._peft.peft_config:  # no LoRA adapter left: the layers are inert
            yield
        else:
            with self._peft.disable_adapter():
                yield

    def _set_lora(self, name: str) -> None:
        """Make ``name`` the active LoRA adapter.

        ``PeftModel.set_adapter`` walks every module and toggles ``requires_grad`` on every adapter's tensors
        (33 ms per switch on the shipped model with 8 adapters, 20 ms even on the listed LoRA layers). Serving
        never trains (every tensor is frozen when an adapter is added), so the one thing left to do is what
        ``BaseTunerLayer.set_adapter`` ends with: set each LoRA layer's active adapter name.
        """
        for layer in self._lora_layers:
            layer._active_adapter = [name]
        self._peft.active_adapter = name
        self._peft.base_model.active_adapter = name

    @contextlib.contextmanager
    def _swapped(self, tensors: dict[str, torch.Tensor]) -> Iterator[None]:
        with pointed_at((self._params[name], tensor) for name, tensor in tensors.items()):
            yield

    @contextlib.contextmanager
    def adapted(self, ref: AdapterRef | None) -> Iterator[nn.Module]:
        """The module to call (``forward``/``generate``) with ``ref``'s adapter switched in (None: the base).

        Holds the server's lock: use it for one request or one single-adapter batch, then leave the block.
        """
        with self._lock:
            entry = None if ref is None else self.adapter(ref)
            if entry is not None:
                self.cache.pin(entry.ref)
            try:
                with self._activate([entry]) as module:
                    yield module
            finally:
                if entry is not None:
                    self.cache.unpin(entry.ref)

    @contextlib.contextmanager
    def _activate(self, entries: Sequence[CachedAdapter | None]) -> Iterator[nn.Module]:
        """Switch in the adapters of one batch group (rows in order); all share one ``batch_key``."""
        first = entries[0]
        kind = "base" if first is None else first.batch_key[0]
        if kind == "full":
            yield first.module
        elif kind == "lora":
            self._set_lora(first.peft_name)
            yield self._peft
        else:
            with self._lora_off():
                if kind.startswith("swap") and len({entry.ref for entry in entries}) > 1:
                    with self._row_weights(entries).active():
                        yield self.model
                elif kind.startswith("swap"):
                    with self._swapped(first.tensors):
                        yield self.model
                elif kind == "prefix":
                    set_row_prefixes(self._prefix_slots, [entry.tensors for entry in entries])
                    try:
                        yield self.model
                    finally:
                        clear_row_prefixes(self._prefix_slots)
                else:
                    yield self.model

    # --- generation ----------------------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, requests: Sequence[Request], *, num_beams: int = 1, num_return_sequences: int = 1,
                 max_new_tokens: int = 64, mixed: bool = True, **generate_kwargs: Any) -> list[RowOutput]:
        """Generate for every request with its own adapter; results in request order.

        ``mixed`` (default): rows of different repositories share a ``generate`` call where the strategy
        allows (prefix, lora, l-ldb, l-eo); full rows form one sub-batch per adapter, base rows one more.
        ``mixed=False`` runs one call per adapter (the one-repository-at-a-time baseline).
        """
        if num_return_sequences > num_beams and not generate_kwargs.get("do_sample"):
            raise ServingSettingsError(f"num_return_sequences ({num_return_sequences}) cannot exceed num_beams "
                                       f"({num_beams}); ask for at most {num_beams} sequences")
        with self._lock:
            entries = [None if r.adapter is None else self.adapter(r.adapter) for r in requests]
            for entry in entries:
                if entry is not None:
                    self.cache.pin(entry.ref)
            try:
                groups: dict[tuple[Any, ...], list[int]] = {}
                for index, entry in enumerate(entries):
                    key = ("base",) if entry is None else entry.batch_key
                    if not mixed and entry is not None:
                        key = (*key, entry.ref)
                    groups.setdefault(key, []).append(index)
                results: list[RowOutput | None] = [None] * len(requests)
                chunks = []
                for members in groups.values():
                    members.sort(key=lambda i: len(requests[i].source_ids))  # stable: ties keep request order
                    chunks.extend(members[start:start + self.max_batch]
                                  for start in range(0, len(members), self.max_batch))
                for rows in chunks:
                    outputs = self._generate_group([requests[i] for i in rows], [entries[i] for i in rows],
                                                   num_beams=num_beams, num_return_sequences=num_return_sequences,
                                                   max_new_tokens=max_new_tokens, **generate_kwargs)
                    for index, output in zip(rows, outputs, strict=True):
                        results[index] = output
            finally:
                for entry in entries:
                    if entry is not None:
                        self.cache.unpin(entry.ref)
        return [r for r in results if r is not None]

    def _generate_group(self, requests: Sequence[Request], entries: Sequence[CachedAdapter | None], *,
                        num_beams: int, num_return_sequences: int, max_new_tokens: int,
                        **generate_kwargs: Any) -> list[RowOutput]:
        pad = self.base.tokenizer.pad_token_id
        pad = 0 if pad is None else pad
        width = max(len(r.source_ids) for r in requests)
        ids = torch.full((len(requests), width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, request in enumerate(requests):
            ids[row, :len(request.source_ids)] = torch.tensor(request.source_ids, dtype=torch.long)
            mask[row, :len(request.source_ids)] = 1
        kwargs: dict[str, Any] = {"input_ids": ids.to(self.base.device), "attention_mask": mask.to(self.base.device),
                                  "num_beams": num_beams, "num_return_sequences": num_return_sequences,
                                  "max_new_tokens": max_new_tokens, "return_dict_in_generate": True,
                                  "output_scores": num_beams > 1, **generate_kwargs}
        if entries[0] is not None and entries[0].peft_name is not None:
            kwargs["adapter_names"] = [entry.peft_name if entry is not None else BASE_ADAPTER for entry in entries]
        with self._activate(entries) as module:
            out = module.generate(**kwargs)
        sequences = out.sequences.tolist()
        scores = out.sequences_scores.tolist() if getattr(out, "sequences_scores", None) is not None else None
        outputs = []
        for row in range(len(requests)):
            span = slice(row * num_return_sequences, (row + 1) * num_return_sequences)
            outputs.append(RowOutput(sequences=[_strip(s, pad) for s in sequences[span]],
                                     scores=None if scores is None else scores[span]))
        return outputs


def _strip(sequence: list[int], pad: int) -> list[int]:
    """Drop the padding generate adds after a sequence that finished before the longest of its batch."""
    end = len(sequence)
    while end > 1 and sequence[end - 1] == pad:
        end -= 1
    return sequence[:end]
