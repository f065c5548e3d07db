"""An adapted model's ONNX export made from the base model's export: its changed weights, not a copy of the graphs.

An adapter that only changes the values of the base model's parameters (``l-ldb``, ``l-eo``, ``full``, and
``lora`` once its updates are merged) gives a model whose graphs are the base model's graphs with other
constants, so exporting it again (minutes of ``torch.onnx`` tracing on a CPU) repeats work, and a copy of the
graphs (270 MB for the shipped model) repeats the base export on disk. Each full export therefore records which of
its initializers holds which parameter (``weights.json``). The exporter renames the matrices it folds (``val_83``)
and stores them transposed, so the map is found by content: an initializer holds a parameter when its bytes are
the parameter's, or its transpose's.

An adapted model's export is then an *overlay* (``overlay.safetensors``): the parameters whose values differ from
the base export's, by parameter name, so an L-LDB export takes the 13 MB of the block it trained instead of 270 MB.
:func:`open_graphs` opens the base export's graphs with those initializers replaced in memory. The overlay names
the base export folder and the digest of its weight map; when either is gone or different, the overlay is stale
(:func:`overlay_is_current`) and is made again. :func:`materialize` writes the complete graphs where a tool needs
files (int8 quantization).

Refused (:class:`ReweightRefused`, and the caller exports in full) when the adapted model has other parameters
than the base model (prefix tuning: its prefixes are constants inside the graphs), when a parameter that no
initializer holds has changed, when one initializer stood for parameters that now differ (tied or equal at
export time), when the base export keeps its weights in external files, and when the overlaid graphs do not
compute what the adapted model computes on a probe input (PyTorch vs ONNX Runtime, float32).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from customizer.errors import OnnxExportError
from customizer.ort.disk_budget import META_FILE, overlay_base_of
from customizer.ort.fed import FED_INPUTS, fed_arrays, fed_feeds, fed_graph, fed_graph_inputs
from customizer.ort.tracing import PrefillGraph, StepGraph, cache_names, probe_inputs

WEIGHTS_FILE = "weights.json"
OVERLAY_FILE = "overlay.safetensors"  # an adapted model's export: its changed parameters
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


def load_weight_map(base: Path) -> dict[str, Any]:
    """The weight map (:func:`weight_map`) of the base export in ``base``; :class:`ReweightRefused` when it has none
    of this version."""
    try:
        mapping = json.loads((base / WEIGHTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReweightRefused(f"the base export has no readable weight map ({exc})") from exc
    if not isinstance(mapping, dict) or mapping.get("version") != MAP_VERSION:
        version = mapping.get("version") if isinstance(mapping, dict) else None
        raise ReweightRefused(f"the base export's weight map is version {version}")
    return mapping


def map_digest(base: Path) -> str:
    """sha256 of the base export's weight map: an overlay made against it holds while it is unchanged."""
    return hashlib.sha256((base / WEIGHTS_FILE).read_bytes()).hexdigest()


def check_parameters(model: nn.Module, mapping: dict[str, Any]) -> None:
    """Raise :class:`ReweightRefused` unless ``model`` (the adapted model, merged or not: only names are compared)
    has exactly the parameters of the base export whose weight map (:func:`load_weight_map`) is ``mapping``, e.g.
    for a model with prefixes (graph inputs of an export of its own). Cheap: what to ask before copying the model
    for :func:`reweight`."""
    names = set(plain_state(model))
    params = set(mapping["params"])
    extra, missing = sorted(names - params), sorted(params - names)
    if extra or missing:
        raise ReweightRefused(f"the adapted model's parameters differ from the base model's ({len(extra)} more, "
                              f"e.g. {extra[:2]}; {len(missing)} fewer, e.g. {missing[:2]})")


def reweight(model: nn.Module, base: Path, out: Path, base_meta: dict[str, Any],
             mapping: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write into ``out`` the overlay of ``model``'s weights on the base export in ``base`` (``model``: a copy from
    :func:`merged_for_export` of the adapted model; ``mapping``: the base export's weight map when the caller has
    read it already, see :func:`load_weight_map`); returns the export's meta. Raises :class:`ReweightRefused`."""
    import onnx
    from onnx import helper, numpy_helper
    from safetensors.torch import save_file

    if base_meta.get("external_data"):
        raise ReweightRefused("the base export keeps its weights in external files")
    mapping = load_weight_map(base) if mapping is None else mapping
    check_parameters(model, mapping)
    state = plain_state(model)
    changed = [name for name, digest in mapping["unheld"].items() if _digest(_array(state[name], False)) != digest]
    if changed:
        raise ReweightRefused(f"{changed[0]} changed but no initializer of the base export holds it")
    overlay: dict[str, torch.Tensor] = {}
    for file in GRAPHS:
        entries = mapping["graphs"].get(file, {})
        for init in onnx.load(str(base / file)).graph.initializer:
            found = entries.get(init.name)
            if not found:
                continue
            value = _array(state[found[0][0]], found[0][1])
            if any(not np.array_equal(value, _array(state[name], transposed)) for name, transposed in found[1:]):
                raise ReweightRefused(f"initializer {init.name} held {len(found)} equal parameters that now differ")
            if tuple(init.dims) != value.shape or helper.tensor_dtype_to_np_dtype(init.data_type) != value.dtype:
                raise ReweightRefused(f"initializer {init.name} does not fit {found[0][0]}")
            if not np.array_equal(value, numpy_helper.to_array(init)):
                overlay[found[0][0]] = state[found[0][0]].contiguous()
    save_file(overlay, str(out / OVERLAY_FILE))
    meta = {**base_meta, "overlay": {"base": f"{base.parent.name}/{base.name}", "map": map_digest(base),
                                     "parameters": len(overlay)}}
    verify(model, out, meta)
    return meta


def overlay_base(folder: Path, meta: dict[str, Any]) -> Path | None:
    """The base export folder an overlay export in ``folder`` builds on, or None for an export with its own graphs."""
    base = overlay_base_of(meta)
    return None if base is None else folder.parent.parent / base  # the cache root: beside its own folder


def overlay_is_current(folder: Path, meta: dict[str, Any]) -> bool:
    """False when ``folder`` is an overlay whose base export is gone or was made again with another weight map."""
    base = overlay_base(folder, meta)
    if base is None:
        return True
    try:
        return (base / META_FILE).is_file() and map_digest(base) == meta["overlay"]["map"]
    except (OSError, KeyError, TypeError):
        return False


def graph_sources(folder: Path, meta: dict[str, Any]) -> tuple[Path, dict[str, dict[str, np.ndarray]]]:
    """Where the graphs of the export in ``folder`` are, and per graph file the initializers to replace (empty for an
    export with its own graphs). Raises :class:`OnnxExportError` for an overlay that no longer fits its base."""
    from safetensors.numpy import load_file

    base = overlay_base(folder, meta)
    if base is None:
        return folder, {}
    if not overlay_is_current(folder, meta):
        raise OnnxExportError(f"the base model's export that {folder} builds on is gone or was made again")
    mapping = load_weight_map(base)
    overlay = load_file(str(folder / OVERLAY_FILE))
    unheld = set(overlay) - {found[0][0] for entries in mapping["graphs"].values() for found in entries.values()}
    if unheld:
        raise OnnxExportError(f"the base model's export holds no initializer for {sorted(unheld)[0]}")
    replaced: dict[str, dict[str, np.ndarray]] = {}
    for file in GRAPHS:
        replaced[file] = {name: np.ascontiguousarray(overlay[found[0][0]].T if found[0][1] else overlay[found[0][0]])
                          for name, found in mapping["graphs"].get(file, {}).items() if found[0][0] in overlay}
    return base, replaced


def _replaced_graph(graphs: Path, file: str, values: dict[str, np.ndarray]) -> Any:
    """The graph ``file`` of ``graphs`` (an onnx ModelProto) with the initializers named in ``values`` replaced."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(graphs / file))
    for init in proto.graph.initializer:
        value = values.get(init.name)
        if value is not None:
            init.CopyFrom(numpy_helper.from_array(value, init.name))
    return proto


def _fed_inputs(graphs: Path, meta: dict[str, Any]) -> dict[str, dict[str, str]]:
    """For a fed export (:mod:`customizer.ort.fed`): per graph file, the base export's initializers that become
    inputs; empty for any other export."""
    names = meta.get(FED_INPUTS)
    return fed_graph_inputs(load_weight_map(graphs), list(names), GRAPHS) if names else {}


def open_graphs(folder: Path, meta: dict[str, Any], make_options: Callable[[], Any]) -> tuple[Any, Any]:
    """ONNX Runtime sessions (prefill, step) of the export in ``folder`` (``meta``: its export.json); an overlay's
    graphs are the base export's with its initializers replaced, in memory. ``make_options`` gives each session its
    ``SessionOptions``.

    Not ``SessionOptions.add_initializer``, which replaces initializers without a copy of the graph: with it an
    L-EO overlay computed other logits than the adapted model (off by 5 on the tests' tiny model; L-LDB's were
    exact), presumably because ONNX Runtime folds constant subgraphs such as the transposed output layer from the
    file's values first. The probe check in :func:`verify` is what caught it."""
    import onnxruntime as ort

    graphs, replaced = graph_sources(folder, meta)
    fed = _fed_inputs(graphs, meta)
    sessions = []
    for file in GRAPHS:
        model: Any = str(graphs / file)
        if replaced or fed:
            proto = _replaced_graph(graphs, file, replaced.get(file, {}))
            model = (fed_graph(proto, fed[file]) if fed else proto).SerializeToString()
        session = ort.InferenceSession(model, make_options(), providers=["CPUExecutionProvider"])
        if isinstance(model, bytes) and hasattr(session, "_model_bytes"):
            # onnxruntime's Python wrapper keeps a model given as bytes for as long as the session lives, to build
            # the session again should a GPU provider fail ("holding the memory indefinitely", says its source): a
            # copy of the graphs, 257 MB for the shipped model, that the CPU provider never reads again
            session._model_bytes = None
        sessions.append(session)
    return sessions[0], sessions[1]


def materialize(folder: Path, meta: dict[str, Any], out: Path) -> None:
    """Write into ``out`` the complete graphs of the export in ``folder`` (an overlay's base graphs with its
    initializers replaced), for tools that read graph files."""
    import onnx

    graphs, replaced = graph_sources(folder, meta)
    for file in GRAPHS:
        onnx.save(_replaced_graph(graphs, file, replaced.get(file, {})), str(out / file))


def quiet_options() -> Any:
    """``onnxruntime.SessionOptions`` that log errors only: for sessions opened to check an export."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return options


@torch.no_grad()
def verify(model: nn.Module, folder: Path, meta: dict[str, Any]) -> None:
    """Compare the export in ``folder`` (``meta``: its export.json) with ``model`` on a probe input (prefill, then
    one step from the graph's own keys/values); raises :class:`ReweightRefused` when their logits differ."""
    layers = int(meta["layers"])
    ids, mask, decoder_ids = probe_inputs(int(model.config.vocab_size),
                                          int(meta["generation"]["decoder_start_token_id"]))
    prefill, step = open_graphs(folder, meta, quiet_options)
    names = list(meta.get(FED_INPUTS) or [])
    arrays = fed_arrays(model, names) if names else {}
    got = prefill.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                             "decoder_input_ids": decoder_ids.numpy(),
                             **fed_feeds((i.name for i in prefill.get_inputs()), names, arrays)})
    want = PrefillGraph(model)(ids, mask, decoder_ids)
    _compare("prefill", got[0], want[0])
    past_names, _, cross_names = cache_names(layers)
    feed = {"decoder_input_ids": decoder_ids.numpy(), "encoder_attention_mask": mask.numpy()}
    feed.update(zip(past_names + cross_names, got[1:], strict=True))
    feed.update(fed_feeds((i.name for i in step.get_inputs()), names, arrays))
    past = tuple(torch.from_numpy(array) for array in got[1:])
    _compare("step", step.run(None, feed)[0], StepGraph(model, layers)(decoder_ids, mask, past)[0])


def _compare(graph: str, got: np.ndarray, want: torch.Tensor) -> None:
    expected = want.float().numpy()
    scale = max(1.0, float(np.abs(expected).max()))
    worst = float(np.abs(got - expected).max())
    if not worst <= TOLERANCE * scale:
        raise ReweightRefused(f"the overlaid {graph} graph differs from the adapted model (largest logit "
                              f"difference {worst:.3g})")
