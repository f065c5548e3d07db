"""Per-row weights: rows of one batch computed with different repositories' values of the same parameters.

L-LDB and L-EO adapters are new values for some of the base model's own parameters (the last decoder block;
the embeddings and output layer). One repository's rows switch them in by pointing ``.data`` at the adapter's
tensors (:class:`customizer.serving.server.AdapterServer`); rows of *several* repositories in one ``generate``
call need each affected module to compute each row with that row's values. No library does this for whole-weight
adapters (peft's mixed-adapter batches cover LoRA alone), so this module does it for the modules such adapters
touch: every leaf module whose ``forward`` takes a batch-first tensor first (``nn.Linear``, ``nn.LayerNorm``,
``nn.Embedding``, T5's layer norm, BART's scaled token embeddings and learned positions). While a
:class:`RowWeights` is active, each such module splits its input by row group, runs its own ``forward`` once per
group with that group's values in ``.data`` (no copy) and puts the outputs back in row order. Every other module
runs once for the whole batch, which is where mixing gains: one pass through the unchanged layers for all rows.

Rows are requests: ``generate`` runs the encoder on one row per request and the decoder on ``num_beams`` rows
per request, each request's beams next to each other, so a module that sees ``k`` times the requests' rows gives
each request ``k`` consecutive rows.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


def row_routable(module: nn.Module) -> bool:
    """True when ``module`` can compute rows with different parameter values: a leaf module (no children) whose
    ``forward`` takes its batch-first input as the first argument."""
    if next(module.children(), None) is not None:
        return False
    return len(inspect.signature(type(module).forward).parameters) >= 2


def parameter_owners(model: nn.Module) -> dict[int, list[nn.Module]]:
    """``id(parameter)`` → every module holding it directly (tied weights have several)."""
    owners: dict[int, list[nn.Module]] = {}
    for module in model.modules():
        for parameter in module.parameters(recurse=False):
            owners.setdefault(id(parameter), []).append(module)
    return owners


def modules_holding(model: nn.Module, parameter_ids: Iterable[int]) -> list[nn.Module]:
    """The modules of ``model`` that hold one of these parameters (by ``id``) directly, each once."""
    owners = parameter_owners(model)
    return list({id(m): m for key in parameter_ids for m in owners.get(key, [])}.values())


@contextmanager
def pointed_at(pairs: Iterable[tuple[nn.Parameter, torch.Tensor]]) -> Iterator[None]:
    """Each parameter's ``.data`` points at its tensor (no copy) until the block ends, then back at its own."""
    pairs = list(pairs)
    saved = [parameter.data for parameter, _ in pairs]
    for parameter, tensor in pairs:
        parameter.data = tensor
    try:
        yield
    finally:
        for (parameter, _), data in zip(pairs, saved, strict=True):
            parameter.data = data


class RowWeights:
    """Row groups of one batch and the parameter values each uses; install with :meth:`active`.

    ``overrides[g]`` maps ``id(parameter)`` to the tensor group ``g`` uses instead of the parameter's own
    values (an empty mapping: the base model); ``request_groups[i]`` is request ``i``'s group.
    """

    def __init__(self, model: nn.Module, overrides: Sequence[Mapping[int, torch.Tensor]],
                 request_groups: Sequence[int]) -> None:
        self.model = model
        self.overrides = list(overrides)
        self.request_groups = list(request_groups)

    def modules(self) -> list[tuple[nn.Module, list[nn.Parameter]]]:
        """The modules some group changes, with their direct parameters; raises if one cannot route rows."""
        chosen = modules_holding(self.model, {key for override in self.overrides for key in override})
        for module in chosen:
            if not row_routable(module):
                raise ValueError(f"{type(module).__name__} cannot compute rows with different parameter values")
        return [(module, list(module.parameters(recurse=False))) for module in chosen]

    def _row_sets(self, module_params: list[nn.Parameter], rows: int,
                  device: torch.device) -> list[tuple[tuple[int, ...], torch.Tensor]]:
        """Rows sharing the same values of this module's parameters: (tensor ids per parameter, row index)."""
        requests = len(self.request_groups)
        if rows % requests:
            raise ValueError(f"a batch of {rows} rows cannot hold {requests} requests' rows")
        per_request = rows // requests
        by_values: dict[tuple[int, ...], list[int]] = {}
        for request, group in enumerate(self.request_groups):
            # a value's key: its tensor's id, or the parameter's own id for its own values (``p.data`` makes a
            # new tensor object at each access, so its id is no key)
            values = tuple(id(self.overrides[group][id(p)]) if id(p) in self.overrides[group] else id(p)
                           for p in module_params)
            by_values.setdefault(values, []).extend(range(request * per_request, (request + 1) * per_request))
        return [(values, torch.tensor(index, device=device)) for values, index in by_values.items()]

    def _routed(self, module: nn.Module, module_params: list[nn.Parameter]) -> Any:
        original = type(module).forward
        own = {id(p): p.data for p in module_params}
        tensors = {id(t): t for override in self.overrides for t in override.values()} | own
        cache: dict[tuple[int, str], list[tuple[tuple[int, ...], torch.Tensor]]] = {}

        def forward(inputs: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            # Only the first argument is cut into rows; the others (BART's positions take a cache length and
            # maybe position ids) pass as they are. An output of one row (positions given as ids) is the
            # group's for each of its rows.
            rows = inputs.shape[0]
            key = (rows, str(inputs.device))
            if key not in cache:
                cache[key] = self._row_sets(module_params, rows, inputs.device)
            sets = cache[key]
            if len(sets) == 1:  # every row uses the same values
                with pointed_at(zip(module_params, [tensors[v] for v in sets[0][0]], strict=True)):
                    return original(module, inputs, *args, **kwargs)
            out: torch.Tensor | None = None
            for values, index in sets:
                with pointed_at(zip(module_params, [tensors[v] for v in values], strict=True)):
                    part = original(module, inputs.index_select(0, index), *args, **kwargs)
                if part.shape[0] != len(index):
                    if part.shape[0] != 1:
                        raise ValueError(f"{type(module).__name__} gave {part.shape[0]} rows for {len(index)}")
                    part = part.expand(len(index), *part.shape[1:])
                if out is None:
                    out = part.new_empty((rows, *part.shape[1:]))
                out.index_copy_(0, index, part)
            assert out is not None
            return out

        return forward

    @contextmanager
    def active(self) -> Iterator[None]:
        """Every changed module routes its rows until the block ends."""
        patched = []
        try:
            for module, module_params in self.modules():
                module.forward = self._routed(module, module_params)
                patched.append(module)
            yield
        finally:
            for module in patched:
                del module.forward

