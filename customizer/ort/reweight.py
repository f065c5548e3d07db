"""An adapted model's ONNX export made from the base model's export by rewriting its weights: seconds, not minutes.

An adapter that only changes the values of the base model's parameters (``l-ldb``, ``l-eo``, ``full``, and
``lora`` once its updates are merged) gives a model whose graphs are the base model's graphs with other
constants, so exporting it again (minutes of ``torch.onnx`` tracing on a CPU) repeats work. Each full export
therefore records which of its initializers holds which parameter (``weights.json``). The exporter renames the
matrices it folds (``val_83``) and stores them transposed, so the map is found by content: an initializer holds
a parameter when its bytes are the parameter's, or its transpose's. An adapted model's export is then the base
model's graphs with every mapped initializer rewritten from the adapted parameters.

Refused (:class:`ReweightRefused`, and the caller exports in full) when the adapted model has other parameters
than the base model (prefix tuning: its prefixes are constants inside the graphs), when a parameter that no
initializer holds has changed, when one initializer stood for parameters that now differ (tied or equal at
export time), when the base export keeps its weights in external files, and when the rewritten graphs do not
compute what the adapted model computes on a probe input (PyTorch vs ONNX Runtime, float32).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from customizer.errors import OnnxExportError

WEIGHTS_FILE = "weights.json"
MAP_VERSION = 1
GRAPHS = ("prefill.onnx", "step.onnx")
TOLERANCE = 1e-3  # largest |ONNX - PyTorch| logit difference accepted, relative to the largest logit (at least 1)


class ReweightRefused(OnnxExportError):
    """This adapted model cannot be made from the base model's export; export it in full."""


def plain_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The floating-point tensors of ``model`` (a copy from :func:`merged_for_export`) under the base model's
    names: a merged LoRA layer's ``base_layer`` holds the merged weight, its ``lora_*`` factors are dropped."""
    state = {}
    for name, tensor in model.state_dict().items():
        if ".lora_" in name or not tensor.is_floating_point():
            continue
        state[name.replace(".base_layer.", ".")] = tensor.detach()
    return state


def _digest(array: np.ndarray) -> str:
    data = np.ascontiguousarray(array)
    return hashlib.sha256(f"{data.dtype}|{data.shape}|".encode() + data.tobytes()).hexdigest()


def _array(tensor: torch.Tensor, transposed: bool) -> np.ndarray:
    array = tensor.to("cpu").numpy()
    return np.ascontiguousarray(array.T if transposed else array)


def weight_map(model: nn.Module, folder: Path) -> dict[str, Any]:
    """Which initializer of the graphs in ``folder`` holds which parameter of ``model`` (the module the graphs were
    exported from): ``graphs`` maps each graph's initializer name to its [parameter, transposed] pairs (several
    when parameters were equal), ``unheld`` the digest of each parameter no initializer holds."""
    import onnx
    from onnx import numpy_helper

    state = plain_state(model)
    by_content: dict[str, list[list[Any]]] = {}
    for name, tensor in state.items():
        for transposed in (False, True) if tensor.dim() == 2 else (False,):
            by_content.setdefault(_digest(_array(tensor, transposed)), []).append([name, transposed])
    graphs: dict[str, dict[str, list[list[Any]]]] = {}
    held: set[str] = set()
    for file in GRAPHS:
        entries = {}
        for init in onnx.load(str(folder / file)).graph.initializer:
            found = by_content.get(_digest(numpy_helper.to_array(init)))
            if found:
                entries[init.name] = found
                held.update(name for name, _ in found)
        graphs[file] = entries
    unheld = {name: _digest(_array(tensor, False)) for name, tensor in state.items() if name not in held}
    return {"version": MAP_VERSION, "params": sorted(state), "graphs": graphs, "unheld": unheld}


def write_weight_map(model: nn.Module, folder: Path) -> None:
    """Record :func:`weight_map` in ``folder`` (part of an export being written)."""
    (folder / WEIGHTS_FILE).write_text(json.dumps(weight_map(model, folder)), encoding="utf-8")


def reweight(model: nn.Module, base: Path, out: Path, base_meta: dict[str, Any]) -> dict[str, Any]:
    """Write into ``out`` the graphs of the base export in ``base`` with ``model``'s weights (``model``: a copy from
    :func:`merged_for_export` of the adapted model); returns the export's meta. Raises :class:`ReweightRefused`."""
    import onnx
    from onnx import helper, numpy_helper

    if base_meta.get("external_data"):
        raise ReweightRefused("the base export keeps its weights in external files")
    try:
        mapping = json.loads((base / WEIGHTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReweightRefused(f"the base export has no readable weight map ({exc})") from exc
    if mapping.get("version") != MAP_VERSION:
        raise ReweightRefused(f"the base export's weight map is version {mapping.get('version')}")
    state = plain_state(model)
    extra, missing = sorted(set(state) - set(mapping["params"])), sorted(set(mapping["params"]) - set(state))
    if extra or missing:
        raise ReweightRefused(f"the adapted model's parameters differ from the base model's ({len(extra)} more, "
                              f"e.g. {extra[:2]}; {len(missing)} fewer, e.g. {missing[:2]})")
    changed = [name for name, digest in mapping["unheld"].items() if _digest(_array(state[name], False)) != digest]
    if changed:
        raise ReweightRefused(f"{changed[0]} changed but no initializer of the base export holds it")
    for file in GRAPHS:
        proto = onnx.load(str(base / file))
        entries = mapping["graphs"].get(file, {})
        for init in proto.graph.initializer:
            found = entries.get(init.name)
            if not found:
                continue
            value = _array(state[found[0][0]], found[0][1])
            if any(not np.array_equal(value, _array(state[name], transposed)) for name, transposed in found[1:]):
                raise ReweightRefused(f"initializer {init.name} held {len(found)} equal parameters that now differ")
            if tuple(init.dims) != value.shape or helper.tensor_dtype_to_np_dtype(init.data_type) != value.dtype:
                raise ReweightRefused(f"initializer {init.name} does not fit {found[0][0]}")
            init.CopyFrom(numpy_helper.from_array(value, init.name))
        onnx.save(proto, str(out / file))
    (out / WEIGHTS_FILE).write_text(json.dumps(mapping), encoding="utf-8")
    verify(model, out, int(base_meta["layers"]), int(base_meta["generation"]["decoder_start_token_id"]))
    return dict(base_meta)


@torch.no_grad()
def verify(model: nn.Module, folder: Path, layers: int, start: int) -> None:
    """Compare the graphs in ``folder`` with ``model`` on a probe input (prefill, then one step from the graph's
    own keys/values); raises :class:`ReweightRefused` when their logits differ."""
    import onnxruntime as ort

    from customizer.ort.export import PrefillGraph, StepGraph, cache_names, probe_inputs

    ids, mask, decoder_ids = probe_inputs(int(model.config.vocab_size), start)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    prefill = ort.InferenceSession(str(folder / GRAPHS[0]), options, providers=["CPUExecutionProvider"])
    got = prefill.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                             "decoder_input_ids": decoder_ids.numpy()})
    want = PrefillGraph(model)(ids, mask, decoder_ids)
    _compare("prefill", got[0], want[0])
    past_names, _, cross_names = cache_names(layers)
    step = ort.InferenceSession(str(folder / GRAPHS[1]), options, providers=["CPUExecutionProvider"])
    feed = {"decoder_input_ids": decoder_ids.numpy(), "encoder_attention_mask": mask.numpy()}
    feed.update(zip(past_names + cross_names, got[1:], strict=True))
    past = tuple(torch.from_numpy(array) for array in got[1:])
    _compare("step", step.run(None, feed)[0], StepGraph(model, layers)(decoder_ids, mask, past)[0])


def _compare(graph: str, got: np.ndarray, want: torch.Tensor) -> None:
    expected = want.float().numpy()
    scale = max(1.0, float(np.abs(expected).max()))
    worst = float(np.abs(got - expected).max())
    if not worst <= TOLERANCE * scale:
        raise ReweightRefused(f"the rewritten {graph} graph differs from the adapted model (largest logit "
                              f"difference {worst:.3g})")
