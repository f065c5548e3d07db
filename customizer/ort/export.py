"""Export a seq2seq model to two ONNX graphs with a key/value cache, cached on disk and written atomically.

Graphs (``N`` rows, ``S`` source tokens, ``T`` decoded tokens so far, ``L`` decoder layers):

- ``prefill.onnx``: ``input_ids``, ``attention_mask`` [N, S], ``decoder_input_ids`` [N, 1] → ``logits`` [N, V],
  ``present.{i}.key|value`` [N, H, 1, d] and ``cross.{i}.key|value`` [N, H, S, d]: the encoder and the first
  decoder step in one run, returning the cross-attention keys/values the later steps reuse.
- ``step.onnx``: ``decoder_input_ids`` [N, 1], ``encoder_attention_mask`` [N, S], ``past.{i}.key|value``
  [N, H, T, d], ``cross.{i}.key|value`` → ``logits`` [N, V], ``present.{i}.key|value`` [N, H, T+1, d].

Both wrap the model's own ``forward`` with an ``EncoderDecoderCache``, so whatever the model computes (BART, T5, a
merged adapter, prefix-tuned attention) is what the graph computes. A prefix-tuned model's prefixes are not
constants of its graphs but inputs (``prefix.{i}``, the i-th of the parameters :func:`prefix_names` lists; the step
graph takes the decoder's only): every prefix adapter of one base model and one prefix shape shares one export
(:func:`prefix_fingerprint`), and switching adapters is feeding other arrays, not tracing (a minute) and storing
(270 MB) another export. ``torch.onnx.export(dynamo=True)`` is used because the TorchScript tracer bakes the example's
sequence lengths into the attention masks (measured: wrong encoder outputs for another source length). The graphs and
their tracing are in :mod:`customizer.ort.tracing`; this module decides what is exported, where, and when.

Exports live in ``<cache>/<base fingerprint>-<adapter fingerprint>/<fp32|int8>/``, written to a temporary
sibling folder and renamed into place (as the adapter store does), so a crash or a concurrent export never
leaves a half-written export where a reader looks. An adapted model whose graphs are the base model's with other
weights is not traced again: its export is an overlay of its changed weights on the base export
(:mod:`customizer.ort.reweight`). The cache keeps the exports used last within a disk budget
(:mod:`customizer.ort.disk_budget`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import platformdirs
import torch
from torch import nn

from customizer.adapters import is_stale_temporary
from customizer.errors import OnnxExportError, StorageError
from customizer.ort.disk_budget import META_FILE, mark_used, prune, remove, remove_owned
from customizer.ort.fed import FED_INPUTS, FedRefused, fed_fingerprint, fed_graph_inputs
from customizer.ort.quantize import INT8_SCHEME, SCHEME_KEY, check_runs, quantize_graph
from customizer.ort.reweight import (
    GRAPHS,
    OVERLAY_FILE,
    WEIGHTS_FILE,
    ReweightRefused,
    check_parameters,
    load_weight_map,
    map_digest,
    materialize,
    overlay_base,
    overlay_is_current,
    reweight,
    verify,
    write_weight_map,
)
from customizer.ort.tracing import (
    PREFILL_FILE,
    STEP_FILE,
    TraceFailed,
    generation_settings,
    merged_for_export,
    prefix_names,
    quiet_logs,
    trace_graphs,
    trace_in_child,
)

EXPORT_VERSION = 3  # bump when the graphs' inputs/outputs or the files beside them change: old exports are ignored
CACHE_ENV = "TESTTAILOR_ONNX_CACHE"
PREFIX_INPUTS = "prefix_inputs"  # export.json: the parameter each input prefix.{i} of the graphs stands for
HOME_ENV = "TESTTAILOR_HOME"
PRECISIONS = ("fp32", "int8")

logger = logging.getLogger(__name__)


def default_cache_root() -> Path:
    """Where exports live: ``$TESTTAILOR_ONNX_CACHE``, ``$TESTTAILOR_HOME/onnx``, or the user cache folder."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get(HOME_ENV)
    return (Path(home).expanduser() if home else Path(platformdirs.user_cache_dir("testtailor"))) / "onnx"


def state_fingerprint(module: nn.Module, shape_only: Callable[[str], bool] | None = None) -> str:
    """sha256 of every tensor of ``module``'s state dict (name, dtype, shape, bytes), in name order; the bytes of
    the tensors ``shape_only`` picks by name are left out.

    Identifies an adapted model (the base fingerprint covers the weights file, not what a strategy changed).
    """
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}|{data.dtype}|{tuple(data.shape)}|".encode())
        if data.numel() and not (shape_only is not None and shape_only(name)):
            digest.update(data.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def prefix_fingerprint(module: nn.Module) -> str | None:
    """For a prefix-tuned module: what identifies the export all prefix adapters of its kind share (its other
    tensors' values, its prefixes' names, dtypes and shapes, not their values); None for a module without prefixes."""
    names = set(prefix_names(module))
    if not names:
        return None
    return "p" + state_fingerprint(module, shape_only=lambda name: name in names)[1:]


def prefix_arrays(module: nn.Module) -> dict[str, Any]:
    """The values of ``module``'s prefix parameters (float32 numpy arrays), by parameter name: what its runner feeds
    into the shared export."""
    params = dict(module.named_parameters())
    return {name: params[name].detach().to("cpu", torch.float32).numpy().copy() for name in prefix_names(module)}


def export_dir(root: Path, base_fingerprint: str, adapter_fingerprint: str | None, precision: str) -> Path:
    """The folder of one export: ``<root>/<base[:16]>-<adapter[:16] | base>-v<N>/<precision>``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}")
    adapter = adapter_fingerprint[:16] if adapter_fingerprint else "base"
    return root / f"{base_fingerprint[:16]}-{adapter}-v{EXPORT_VERSION}" / precision


def export_graphs(module: nn.Module, out_dir: Path) -> dict[str, Any]:
    """Write ``prefill.onnx`` and ``step.onnx`` for ``module`` into ``out_dir``; returns the meta to record.

    The tracing runs in a child process (:mod:`customizer.ort.trace_worker`) when the model can be handed over
    (pickled): ``torch.export`` shares process-wide state with whatever PyTorch runs in other threads, and a language
    server generates and loads adapters while it exports (a trace failed about once in ten test starts when it ran
    in a thread); the child also takes the tracing's memory with it when it exits. A model that cannot be pickled
    is traced here."""
    settings = generation_settings(module)
    model = merged_for_export(module)
    traced = trace_in_child(model, out_dir, settings)
    layers, external = traced if traced is not None else trace_graphs(model, out_dir, settings)
    if not external:  # what lets an adapted model's export be this one with other weights (seconds, not minutes)
        write_weight_map(model, out_dir)
    meta = {"version": EXPORT_VERSION, "layers": layers, "vocab_size": int(model.config.vocab_size),
            "generation": settings, "external_data": external, "model_type": str(model.config.model_type)}
    names = prefix_names(model)
    return {**meta, PREFIX_INPUTS: names} if names else meta


def quantize_graphs(fp32_dir: Path, out_dir: Path, external: bool,
                    keep: dict[str, Sequence[str]] | None = None) -> None:
    """int8 graphs of both float32 graphs (:mod:`customizer.ort.quantize`); ``keep``: per graph file, the
    initializers whose products stay float32."""
    with quiet_logs(""):  # onnxruntime.quantization logs advice on the root logger, which users cannot act on
        for name in (PREFILL_FILE, STEP_FILE):
            quantize_graph(fp32_dir / name, out_dir / name, external, keep=(keep or {}).get(name, ()))


def ensure_export(module: nn.Module, root: Path, base_fingerprint: str, adapter_fingerprint: str | None,
                  precision: str = "fp32", owner: str | None = None) -> Path:
    """The folder holding ``module``'s export in ``precision``, exporting (and quantizing) it first if needed.

    ``owner`` names the stored adapter the module was made from (``<repo key>/<strategy>``): a new export records it
    and replaces that adapter's earlier exports (it was customized again), and removing the adapter removes it
    (:func:`customizer.ort.disk_budget.remove_owned`).
    """
    found = cached_export(root, base_fingerprint, adapter_fingerprint, precision)
    if found is not None:
        return found
    target = export_dir(root, base_fingerprint, adapter_fingerprint, precision)
    failed = _failure_marker(target)
    for leftover in target.parent.glob(f".{target.name}.tmp-*"):
        if is_stale_temporary(leftover):  # an export whose process died (or left without waiting for it)
            shutil.rmtree(leftover, ignore_errors=True)
    if precision == "int8":
        fp32 = ensure_export(module, root, base_fingerprint, adapter_fingerprint, "fp32", owner)  # remembers its own
        meta = json.loads((fp32 / META_FILE).read_text(encoding="utf-8"))
        written = _remembering_failure(failed,
                                       lambda: _write_atomically(target, lambda tmp: _quantized(fp32, tmp, meta)))
    else:
        written = _reweighted(module, target, export_dir(root, base_fingerprint, None, "fp32"), owner) \
            if adapter_fingerprint else None
        if written is None:
            written = _remembering_failure(failed, lambda: _write_atomically(
                target, lambda tmp: _owned(export_graphs(module, tmp), owner)))
        remove_outdated(written.parent)
    if owner is not None:
        remove_owned(root, owner, keep=written.parent)
    prune(root, keep=written.parent)
    return written


def ensure_fed_export(module: nn.Module, root: Path, base_fingerprint: str, names: Sequence[str],
                      owner: str | None = None, precision: str = "fp32") -> Path:
    """The folder of the fed export (:mod:`customizer.ort.fed`) of the base model's float32 export with the parameters
    ``names`` as graph inputs, written (and checked on ``module``, an adapted model that changes only them) first if
    needed; every such adapter of this base model runs on it, and none owns it (``owner``'s exports of its own, made
    before, are removed). Raises :class:`FedRefused` (among others) when the base model is not exported or the
    parameters cannot be fed. ``precision="int8"``: the same with the base graphs quantized, the fed parameters'
    products left float32 (:func:`_fed_int8`)."""
    if precision == "int8":
        return _fed_int8(root, base_fingerprint, names,
                         ensure_fed_export(module, root, base_fingerprint, names, owner), owner)
    fingerprint = fed_fingerprint(names)
    found = cached_export(root, base_fingerprint, fingerprint, "fp32")
    if found is not None:
        if owner is not None:
            remove_owned(root, owner, keep=found.parent)
        return found
    base = cached_export(root, base_fingerprint, None, "fp32")
    if base is None:
        raise FedRefused("the base model is not exported yet")
    base_meta = json.loads((base / META_FILE).read_text(encoding="utf-8"))
    if base_meta.get("external_data"):
        raise FedRefused("the base export keeps its weights in external files")
    mapping = load_weight_map(base)
    check_parameters(module, mapping)
    fed_graph_inputs(mapping, names, GRAPHS)  # refused here, before anything is written

    def build(tmp: Path) -> dict[str, Any]:
        from safetensors.torch import save_file

        save_file({}, str(tmp / OVERLAY_FILE))  # nothing replaced: the fed parameters come with every call
        meta = {**base_meta, FED_INPUTS: list(names),
                "overlay": {"base": f"{base.parent.name}/{base.name}", "map": map_digest(base), "parameters": 0}}
        verify(merged_for_export(module), tmp, meta)
        return meta

    target = export_dir(root, base_fingerprint, fingerprint, "fp32")
    try:
        written = _write_atomically(target, build)
    except OnnxExportError:
        with contextlib.suppress(OSError):
            target.parent.rmdir()  # the folder made for it, empty unless another process wrote there
        raise
    mark_used(base)
    if owner is not None:
        remove_owned(root, owner, keep=written.parent)
    prune(root, keep=written.parent)
    return written


def _fed_int8(root: Path, base_fingerprint: str, names: Sequence[str], fp32: Path, owner: str | None) -> Path:
    """The int8 fed export beside the float32 one in ``fp32`` (checked on the adapted model): the base export's
    graphs quantized (:mod:`customizer.ort.quantize`) but for the products by the initializers that hold the fed
    parameters, which keep their names, with a copy of the base export's weight map, so that opening it feeds them
    as the float32 fed export does. Graphs of its own (no overlay): it stays valid while the base model does."""
    fingerprint = fed_fingerprint(names)
    found = cached_export(root, base_fingerprint, fingerprint, "int8")
    if found is None:
        base = overlay_base(fp32, json.loads((fp32 / META_FILE).read_text(encoding="utf-8")))
        if base is None:
            raise FedRefused(f"{fp32} names no base export")
        keep = fed_graph_inputs(load_weight_map(base), names, GRAPHS)

        def build(tmp: Path) -> dict[str, Any]:
            shutil.copy2(base / WEIGHTS_FILE, tmp / WEIGHTS_FILE)  # before the run check, which feeds through it
            base_meta = json.loads((base / META_FILE).read_text(encoding="utf-8"))
            return _quantized(base, tmp, {**base_meta, FED_INPUTS: list(names)},
                              {file: list(inits) for file, inits in keep.items()})

        target = export_dir(root, base_fingerprint, fingerprint, "int8")
        found = _remembering_failure(_failure_marker(target), lambda: _write_atomically(target, build))
    if owner is not None:
        remove_owned(root, owner, keep=found.parent)
    prune(root, keep=found.parent)
    return found


def cached_export(root: Path, base_fingerprint: str, adapter_fingerprint: str | None,
                  precision: str = "fp32") -> Path | None:
    """The folder of this export when the cache holds it, marked used; None when it does not (an overlay whose base
    export is gone or was made again is removed: it is made anew from the model)."""
    target = export_dir(root, base_fingerprint, adapter_fingerprint, precision)
    if not (target / META_FILE).is_file():
        return None
    if _current(target):
        return target
    remove(target)
    return None


def _current(export: Path) -> bool:
    """Whether ``export`` can be used as it is (then it, and an overlay's base export, are marked used): False for
    an overlay whose base export is gone or was made again, and for int8 graphs quantized another way."""
    try:
        meta = json.loads((export / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None  # unreadable here: loading it reports the problem
    if isinstance(meta, dict):
        if not overlay_is_current(export, meta):
            return False
        if meta.get("precision") == "int8" and meta.get(SCHEME_KEY) != INT8_SCHEME:
            return False  # quantized another way by an earlier version: made again from its float32 export
        base = overlay_base(export, meta)
        if base is not None:
            mark_used(base)
    mark_used(export)
    return True


def _owned(meta: dict[str, Any], owner: str | None) -> dict[str, Any]:
    """An export's meta with the adapter it was made for, if any."""
    return meta if owner is None else {**meta, "owner": owner}


def _reweighted(module: nn.Module, target: Path, base: Path, owner: str | None) -> Path | None:
    """``target`` written as the base export ``base`` with ``module``'s weights, or None (logged) when the base is
    not exported yet or :mod:`customizer.ort.reweight` refuses."""
    try:
        base_meta = json.loads((base / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        # before copying the model: e.g. a prefix model's prefixes are graph inputs, so it is traced anew
        mapping = load_weight_map(base)
        check_parameters(module, mapping)
        model = merged_for_export(module)
        written = _write_atomically(target, lambda tmp: _owned(reweight(model, base, tmp, base_meta, mapping), owner))
        mark_used(base)  # the base export is what the next adapted model is made from: the last to leave the cache
        return written
    except ReweightRefused as exc:
        logger.info("exporting the adapted model in full: %s", exc.message)
        return None


def _remembering_failure(marker: Path, write: Any) -> Path:
    """``write()``; when it raises the model's own :class:`OnnxExportError` (not one caused by this machine's state
    at the time: out of memory, a disk error), record the reason in ``marker`` first.

    A failed trace is tried once more first: traced in a thread of a language server that loaded an adapter
    meanwhile, a trace of the same model failed once in about ten test starts ("Failed to decompose the FX graph")
    and passed on the next. Tracing now runs in a child process (:func:`export_graphs`), which removes that race;
    the retry stays for models traced in this process and for other transient failures, since a remembered one
    would keep ONNX Runtime off until the libraries change."""
    try:
        try:
            return write()
        except TraceFailed as exc:
            logger.info("tracing failed, trying once more: %s", exc.message)
            return write()
    except OnnxExportError as exc:
        if not isinstance(exc.__cause__, (MemoryError, OSError)):
            _remember_failure(marker, exc.message)
        raise


FAILED_SUFFIX = ".failed.json"  # beside an export folder: why that export failed, and with which library versions


def _library_versions() -> dict[str, str]:
    """What an export's success depends on besides the weights: the exporter and the runtime."""
    import importlib.metadata as metadata

    versions = {"export": str(EXPORT_VERSION)}
    for name in ("torch", "transformers", "onnx", "onnxruntime", "onnxscript"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _failure_marker(target: Path) -> Path:
    """The file beside the export folder ``target`` that remembers why it failed; raises
    :class:`OnnxExportError` with that reason when it failed with the libraries installed now (this model did not
    export with these versions: do not spend minutes again)."""
    failed = target.with_name(f"{target.name}{FAILED_SUFFIX}")
    known = _known_failure(failed)
    if known is not None:
        raise OnnxExportError(f"{known} (remembered from an earlier try; delete {failed} to try again)")
    return failed


def _known_failure(marker: Path) -> str | None:
    """The remembered reason an export failed, if it failed with the libraries installed now (a marker from
    other versions is removed: an upgrade may fix it)."""
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(record, dict) and record.get("versions") == _library_versions() and record.get("reason"):
        return str(record["reason"])
    with contextlib.suppress(OSError):
        marker.unlink()
    return None


def _remember_failure(marker: Path, reason: str) -> None:
    """Record why an export failed (atomically; best effort: a read-only cache only costs a retry)."""
    tmp = marker.with_name(f".{marker.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"reason": reason, "versions": _library_versions()}, indent=2), encoding="utf-8")
        os.replace(tmp, marker)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def remove_outdated(folder: Path) -> list[Path]:
    """Delete exports of the same weights made by other export versions (they are never read again)."""
    stem = folder.name.rpartition("-v")[0]
    removed = []
    for other in folder.parent.glob(f"{stem}-v*"):
        if other != folder and other.is_dir() and other.name.rpartition("-v")[2].isdigit():
            shutil.rmtree(other, ignore_errors=True)
            removed.append(other)
    return removed


def _quantized(fp32: Path, tmp: Path, meta: dict[str, Any], keep: dict[str, Sequence[str]] | None = None,
               ) -> dict[str, Any]:
    """int8 graphs of the float32 export ``fp32`` (an overlay's complete graphs made first, then deleted), run once
    (:func:`customizer.ort.quantize.check_runs`); returns their meta. ``keep``: see :func:`quantize_graphs`."""
    graphs = fp32
    if overlay_base(fp32, meta) is not None:
        graphs = tmp / "fp32-graphs"
        graphs.mkdir()
        materialize(fp32, meta, graphs)
    try:
        quantize_graphs(graphs, tmp, bool(meta.get("external_data")), keep)
    except OnnxExportError:
        raise
    except Exception as exc:  # onnxruntime.quantization raises assorted errors for graphs it cannot handle
        raise OnnxExportError(f"int8 quantization failed ({type(exc).__name__}: {str(exc)[:160]})") from exc
    finally:
        if graphs != fp32:
            shutil.rmtree(graphs, ignore_errors=True)
    quantized = {key: value for key, value in {**meta, "precision": "int8", SCHEME_KEY: INT8_SCHEME}.items()
                 if key != "overlay"}
    check_runs(tmp, quantized)
    return quantized


def _write_atomically(target: Path, build: Any) -> Path:
    """Build an export into a temporary sibling, record its meta last, then rename it into place."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    try:
        tmp.mkdir(parents=True)
        meta = build(tmp)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        for file in tmp.iterdir():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
    except OnnxExportError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise StorageError(f"cannot write the ONNX export to {target.parent} ({exc.strerror or exc}); free disk "
                           f"space or set {CACHE_ENV} to a writable folder") from exc
    try:
        os.replace(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # another process renamed its export into place first
        if not (target / META_FILE).is_file():
            raise
    return target
