"""Parameters fed to the graphs as inputs, so that the base model and every adapter that changes only them run on one
pair of ONNX Runtime sessions.

An L-LDB adapter changes the last decoder block only. Its export as an overlay (:mod:`customizer.ort.reweight`) is
the base graphs with the block's 13 MB replaced, opened as a session pair of its own, and ONNX Runtime pre-packs
every weight of a session: about 320 MB of memory and 7–16 s to make and open per adapter for the shipped model
(``bench/bench_onnx_fed.py``). A *fed* export instead turns the initializers that hold the named parameters into
graph inputs (``fed.{i}``, or ``fed.{i}.T`` where the exporter stored the parameter transposed, each joined to the
initializer's old name by an Identity node), and each runner feeds its own adapter's values at every call. Runners
of one fed export share its sessions (:func:`customizer.ort.runtime._open_shared`), so N adapters cost one session
pair plus their blocks.

The price: ONNX Runtime cannot pre-pack an input, so the fed block's matrices are packed again at every decoder
step, about +8% per step for the shipped model's last block (``bench/bench_onnx_block_inputs.py``; 6–18% per
request on a loaded machine, ``bench/bench_onnx_fed.py``). Only L-LDB is fed (:data:`FED_STRATEGIES`): L-EO's
adapters change the 8M-parameter output layer, the largest matrix of every step, which would then be packed again
at every step (not measured).

A fed export needs no tracing: its folder holds ``export.json`` (naming the base export, like an overlay, and the
fed parameters) and an empty overlay; the graphs are edited in memory when opened. It is refused
(:class:`FedRefused`, and the adapter gets an overlay export of its own) when an initializer holds a fed parameter
and another one (tied or equal at export time), or when no initializer holds a fed parameter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from customizer.errors import OnnxExportError

FED_INPUTS = "fed_inputs"  # export.json: the parameters the graphs take as inputs, in input-index order
FED_STRATEGIES = frozenset({"l-ldb"})


class FedRefused(OnnxExportError):
    """These parameters cannot be fed to the base model's graphs; the adapter gets an export of its own."""


def fed_fingerprint(names: Sequence[str]) -> str:
    """What names the fed export of these parameters among the base model's exports (``f`` + sha256 of the names)."""
    return "f" + hashlib.sha256("\n".join(names).encode()).hexdigest()[1:]


def fed_graph_inputs(mapping: dict[str, Any], names: Sequence[str], files: Iterable[str]) -> dict[str, dict[str, str]]:
    """Per graph file, the initializers to turn into inputs and the input name of each, from the base export's weight
    map (:func:`customizer.ort.reweight.weight_map`). Raises :class:`FedRefused`."""
    index = {name: i for i, name in enumerate(names)}
    inputs: dict[str, dict[str, str]] = {}
    held: set[str] = set()
    for file in files:
        inputs[file] = {}
        for init, found in mapping["graphs"].get(file, {}).items():
            fed = [name for name, _ in found if name in index]
            if not fed:
                continue
            if len(found) > 1:
                raise FedRefused(f"initializer {init} holds {len(found)} equal parameters ({found[0][0]}, …): "
                                 "feeding one would change the others")
            name, transposed = found[0]
            inputs[file][init] = f"fed.{index[name]}" + (".T" if transposed else "")
            held.add(name)
    unheld = [name for name in names if name not in held]
    if unheld:
        raise FedRefused(f"no initializer of the base export holds {unheld[0]}")
    return inputs


def fed_graph(proto: Any, inputs: dict[str, str]) -> Any:
    """``proto`` (an onnx ModelProto, changed in place and returned) with the initializers named in ``inputs`` made
    graph inputs: each removed, an input of its type and shape added, and an Identity node from the input to the
    initializer's name put first, so the nodes that read it are untouched."""
    from onnx import helper

    graph = proto.graph
    kept, identities = [], []
    for init in graph.initializer:
        name = inputs.get(init.name)
        if name is None:
            kept.append(init)
            continue
        graph.input.append(helper.make_tensor_value_info(name, init.data_type, list(init.dims)))
        identities.append(helper.make_node("Identity", [name], [init.name], name=f"{name}.identity"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = [*identities, *graph.node]
    del graph.node[:]
    graph.node.extend(nodes)
    return proto


def fed_arrays(module: nn.Module, names: Sequence[str]) -> dict[str, np.ndarray]:
    """The values of ``module``'s parameters ``names`` (float32 numpy arrays): what its runner feeds."""
    params = {name.replace(".base_layer.", "."): p for name, p in module.named_parameters()}
    missing = [name for name in names if name not in params]
    if missing:
        raise FedRefused(f"the adapted model has no parameter {missing[0]}")
    return {name: params[name].detach().to("cpu", torch.float32).numpy().copy() for name in names}


def fed_feeds(wanted: Iterable[str], names: Sequence[str], arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The feeds for the graph inputs among ``wanted`` that are fed parameters (``fed.{i}`` and ``fed.{i}.T``)."""
    feeds = {}
    for input_name in wanted:
        if not input_name.startswith("fed."):
            continue
        index, _, transposed = input_name.removeprefix("fed.").partition(".")
        try:
            value = arrays[names[int(index)]]
        except (ValueError, IndexError, KeyError) as exc:
            raise OnnxExportError(f"the graphs take {input_name}, which the adapter does not provide") from exc
        feeds[input_name] = np.ascontiguousarray(value.T if transposed == "T" else value, dtype=np.float32)
    return feeds
