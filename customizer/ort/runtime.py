"""ONNX Runtime sessions for an exported model, and the choice between them and PyTorch.

:class:`OnnxSeq2Seq` offers the ``generate`` call the PyTorch path makes (same keyword arguments, an output
with ``sequences`` and ``sequences_scores``), so :class:`customizer.generate.Generator` swaps one for the other
at a single call site. :class:`OnnxRuntimeCache` maps a loaded (base or adapted) module to its export, exporting
it once per weights fingerprint (once per base model and prefix shape for prefix tuning, whose prefixes are inputs
of the graphs); when that is impossible it returns None with a one-line reason, and generation goes on with
PyTorch. Runners of one export share its sessions (:func:`_open_shared`): the weights of a session pair, about
320 MB for the shipped model, are in memory once however many prefix adapters, or L-LDB adapters (whose block is
fed to the base model's graphs, :mod:`customizer.ort.fed`), use them.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import LogitsProcessorList

from customizer.defaults import RUNTIMES
from customizer.errors import OnnxExportError, StorageError
from customizer.ort.beam import SearchOutput, beam_search, greedy_search
from customizer.ort.export import (
    META_FILE,
    PREFIX_INPUTS,
    cached_export,
    default_cache_root,
    ensure_export,
    ensure_fed_export,
    prefix_arrays,
    prefix_fingerprint,
    state_fingerprint,
)
from customizer.ort.fed import FED_INPUTS, fed_arrays, fed_feeds
from customizer.ort.reweight import open_graphs

logger = logging.getLogger(__name__)

_PRECISION = {"onnx": "fp32", "onnx-int8": "int8"}  # onnx-int8: int8 weights, faster, may change outputs
__all__ = ["RUNTIMES", "OnnxRuntimeCache", "OnnxSeq2Seq", "fallback_message", "onnx_available"]


@functools.cache
def onnx_available() -> str | None:
    """None when ``onnxruntime`` and the exporter's ``onnxscript`` import, else what to install (asked once)."""
    missing = []
    for name in ("onnxruntime", "onnx", "onnxscript"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    return None if not missing else f"{', '.join(missing)} not installed (pip install {' '.join(missing)})"


class _Graphs:
    """The two sessions of one export (weakly registered in :data:`_OPEN`, so runners of it share them)."""

    def __init__(self, prefill: Any, step: Any) -> None:
        self.prefill, self.step = prefill, step


_OPEN: weakref.WeakValueDictionary[tuple[str, int, int], _Graphs] = weakref.WeakValueDictionary()
_OPEN_LOCK = threading.Lock()


def _open_shared(directory: Path, meta: dict[str, Any], threads: int, shared: bool = True) -> _Graphs:
    """The sessions of the export in ``directory`` with ``threads`` threads: those a living runner already opened
    (ONNX Runtime sessions may run from several threads at once), else new ones. Exports are written once and
    renamed into place, so the folder and its meta file's inode identify the graphs (not its time, which
    :func:`customizer.ort.disk_budget.mark_used` moves)."""
    import onnxruntime as ort

    def options() -> ort.SessionOptions:
        made = ort.SessionOptions()
        made.intra_op_num_threads = threads
        made.inter_op_num_threads = 1
        made.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        made.log_severity_level = 3
        return made

    if not shared:
        return _Graphs(*open_graphs(directory, meta, options))
    key = (str(directory.resolve()), threads, (directory / META_FILE).stat().st_ino)
    with _OPEN_LOCK:
        found = _OPEN.get(key)
        if found is None:
            found = _Graphs(*open_graphs(directory, meta, options))  # an overlay: the base graphs with its weights
            _OPEN[key] = found
        return found


def _prefix_feeds(directory: Path, names: list[str], prefixes: dict[str, np.ndarray] | None,
                  ) -> dict[str, np.ndarray]:
    """The graph inputs ``prefix.{i}`` of an export whose prefixes are inputs (``names``: its meta's list)."""
    if names and prefixes is None:
        raise OnnxExportError(f"the export in {directory} takes prefix-tuning prefixes as inputs, and none were given")
    if prefixes and not names:
        raise OnnxExportError(f"the export in {directory} has no prefix inputs for the adapter's prefixes")
    feeds = {}
    for i, name in enumerate(names):
        value = (prefixes or {}).get(name)
        if value is None:
            raise OnnxExportError(f"the prefix adapter has no {name}, which the export in {directory} takes")
        feeds[f"prefix.{i}"] = np.ascontiguousarray(value, dtype=np.float32)
    return feeds


def _fed_names(directory: Path, names: list[str], fed: dict[str, np.ndarray] | None) -> list[str]:
    """``names`` (a fed export's meta list, :mod:`customizer.ort.fed`), checked against the adapter parameters given
    before any session opens; the feeds follow once the graphs say which inputs they take (``fed_feeds``)."""
    if bool(names) != bool(fed):
        raise OnnxExportError(f"the export in {directory} takes {len(names)} parameters as inputs, "
                              f"and {len(fed or {})} were given")
    return names


class OnnxSeq2Seq:
    """An exported model on ONNX Runtime (CPU), decoding with the beam search of :mod:`customizer.ort.beam`.

    ``prefixes`` (by parameter name, :func:`customizer.ort.export.prefix_arrays`): the prefix adapter to run, for an
    export whose prefixes are graph inputs; ``fed`` (by parameter name, :func:`customizer.ort.fed.fed_arrays`): the
    adapter's parameters, for a fed export (:mod:`customizer.ort.fed`). ``shared=False`` opens sessions of its own
    instead of those another runner of the export holds (a benchmark timing the opening)."""

    def __init__(self, directory: str | os.PathLike[str], threads: int | None = None,
                 prefixes: dict[str, np.ndarray] | None = None, shared: bool = True,
                 fed: dict[str, np.ndarray] | None = None) -> None:
        self.directory = Path(directory)
        self.meta: dict[str, Any] = json.loads((self.directory / META_FILE).read_text(encoding="utf-8"))
        self.settings: dict[str, Any] = self.meta["generation"]
        feeds = _prefix_feeds(self.directory, list(self.meta.get(PREFIX_INPUTS) or []), prefixes)
        fed_names = _fed_names(self.directory, list(self.meta.get(FED_INPUTS) or []), fed)
        graphs = _open_shared(self.directory, self.meta, threads or torch.get_num_threads(), shared)
        self._graphs = graphs  # keeps the shared sessions alive while this runner lives
        self._prefill, self._step = graphs.prefill, graphs.step
        wanted = {spec.name for session in (self._prefill, self._step) for spec in session.get_inputs()}
        feeds.update(fed_feeds(wanted, fed_names, fed or {}))
        self._prefill_feeds = self._checked(self._prefill, feeds)
        self._step_feeds = self._checked(self._step, feeds)
        layers = int(self.meta["layers"])
        self._past = [f"past.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
        self._cross = [f"cross.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
        self._layers = layers

    def _checked(self, session: Any, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Those of ``feeds`` that ``session`` takes, each checked against the shape the graph declares."""
        taken = {}
        for spec in session.get_inputs():
            value = feeds.get(spec.name)
            if value is None:
                continue
            declared = [dim if isinstance(dim, int) else None for dim in spec.shape]
            if len(declared) != value.ndim or any(d is not None and d != n for d, n in zip(declared, value.shape,
                                                                                           strict=True)):
                raise OnnxExportError(f"the adapter's {spec.name} has shape {list(value.shape)}, but the "
                                      f"export in {self.directory} takes {spec.shape}")
            taken[spec.name] = value
        return taken

    # --- the two graphs (CachedDecoder) ------------------------------------------------------------------

    def prefill(self, input_ids: np.ndarray, attention_mask: np.ndarray, start: int,
                ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        start_ids = np.full((input_ids.shape[0], 1), start, dtype=np.int64)
        outputs = self._prefill.run(None, {"input_ids": input_ids, "attention_mask": attention_mask,
                                           "decoder_input_ids": start_ids, **self._prefill_feeds})
        n = 2 * self._layers
        return outputs[0], outputs[1:1 + n], outputs[1 + n:]

    def step(self, tokens: np.ndarray, attention_mask: np.ndarray, own: list[np.ndarray],
             cross: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        feed = {"decoder_input_ids": tokens.reshape(-1, 1).astype(np.int64, copy=False),
                "encoder_attention_mask": attention_mask}
        feed.update(zip(self._past, own, strict=True))
        feed.update(zip(self._cross, cross, strict=True))
        feed.update(self._step_feeds)
        outputs = self._step.run(None, feed)
        return outputs[0], outputs[1:]

    # --- the transformers-style entry point ---------------------------------------------------------------

    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, *, num_beams: int = 1,
                 num_return_sequences: int = 1, max_new_tokens: int = 20, do_sample: bool = False,
                 early_stopping: bool | str = False, return_dict_in_generate: bool = False,
                 logits_processor: LogitsProcessorList | None = None, length_penalty: float | None = None,
                 **_ignored: Any) -> SearchOutput | torch.Tensor:
        """Like ``PreTrainedModel.generate`` for deterministic search (``num_beams`` >= 1, no sampling)."""
        if do_sample:
            raise ValueError("the ONNX runtime decodes deterministically; sampling is not supported")
        ids = input_ids.detach().to("cpu", torch.int64).numpy()
        mask = np.ones_like(ids) if attention_mask is None else attention_mask.detach().to("cpu", torch.int64).numpy()
        if num_beams == 1:
            out = greedy_search(self, ids, mask, max_new_tokens=max_new_tokens, settings=self.settings,
                                logits_processor=logits_processor)
        else:
            out = beam_search(self, ids, mask, num_beams=num_beams, num_return_sequences=num_return_sequences,
                              max_new_tokens=max_new_tokens, settings=self.settings, logits_processor=logits_processor,
                              early_stopping=early_stopping, length_penalty=length_penalty)
        return out if return_dict_in_generate else out.sequences


class OnnxRuntimeCache:
    """The ONNX runner of each loaded module (weakly held), exported on first use and reused from disk after."""

    def __init__(self, runtime: str = "onnx", root: Path | None = None) -> None:
        if runtime not in _PRECISION:
            raise ValueError(f"runtime must be one of {', '.join(_PRECISION)}")
        self.precision = _PRECISION[runtime]
        self.runtime = runtime
        self.root = root
        self._runners: weakref.WeakKeyDictionary[nn.Module, OnnxSeq2Seq | str] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def runner(self, module: nn.Module, base_model: nn.Module, base_fingerprint: str,
               owner: str | None = None, fed: Sequence[str] | None = None) -> OnnxSeq2Seq:
        """The runner for ``module`` (``base_model`` itself or an adapted copy of it; ``owner``: the stored adapter
        it was made from, see :func:`ensure_export`). ``fed``: the only parameters the adapter changed (e.g. L-LDB's
        block, see :data:`customizer.ort.fed.FED_STRATEGIES`): with the base model exported, it runs on the fed
        export of this precision that the base model's other such adapters share (:mod:`customizer.ort.fed`; int8:
        the base graphs quantized but for the fed block), else (logged) on an export of its own.

        Raises :class:`OnnxExportError` (remembered per module, so a failing export is tried once) when this
        module cannot run on ONNX Runtime.
        """
        with self._lock:
            known = self._runners.get(module)
            if isinstance(known, OnnxSeq2Seq):
                return known
            if isinstance(known, str):
                raise OnnxExportError(known)
            try:
                runner = self._build(module, base_model, base_fingerprint, owner, fed)
            except OnnxExportError as exc:
                self._runners[module] = exc.message
                raise
            self._runners[module] = runner
            return runner

    def cached(self, base_fingerprint: str) -> OnnxSeq2Seq | None:
        """The runner of the base model's export when the cache has it (no model needed to find it), else None."""
        if onnx_available() is not None:
            return None
        root = self.root if self.root is not None else default_cache_root()
        directory = cached_export(root, base_fingerprint, None, self.precision)
        if directory is None:
            return None
        try:
            return OnnxSeq2Seq(directory)
        except (OSError, ValueError, KeyError, RuntimeError, OnnxExportError):  # damaged: made again from the model
            return None

    def _build(self, module: nn.Module, base_model: nn.Module, base_fingerprint: str,
               owner: str | None, fed: Sequence[str] | None = None) -> OnnxSeq2Seq:
        problem = onnx_available()
        if problem is not None:
            raise OnnxExportError(f"the ONNX runtime needs {problem}")
        device = next(module.parameters()).device
        if device.type != "cpu":
            raise OnnxExportError(f"the ONNX runtime runs on the CPU, but the model is on {device}")
        # a prefix adapter runs on the export every prefix adapter of its shape shares (its prefixes are inputs),
        # which no single adapter owns: removing one must not remove the others' export
        shared = None if module is base_model else prefix_fingerprint(module)
        adapter = None if module is base_model else shared or state_fingerprint(module)
        root = self.root if self.root is not None else default_cache_root()
        if fed and module is not base_model:
            try:
                return OnnxSeq2Seq(ensure_fed_export(module, root, base_fingerprint, fed, owner, self.precision),
                                   fed=fed_arrays(module, fed))
            except (OnnxExportError, OSError, ValueError, KeyError, RuntimeError) as exc:
                logger.info("the adapter runs on an export of its own: %s", getattr(exc, "message", exc))
        try:
            directory = ensure_export(module, root, base_fingerprint, adapter, self.precision,
                                      None if shared else owner)
            return OnnxSeq2Seq(directory, prefixes=prefix_arrays(module) if shared else None)
        except StorageError as exc:
            raise OnnxExportError(exc.message) from exc
        except (OSError, ValueError, KeyError, RuntimeError) as exc:  # a damaged export, an ORT load error
            raise OnnxExportError(f"cannot load the ONNX export ({type(exc).__name__}: {str(exc)[:160]})") from exc


def fallback_message(runtime: str, reason: str) -> str:
    """The one line users see when ``runtime`` was asked for but PyTorch runs instead."""
    return f"runtime {runtime}: {reason}; generating with PyTorch instead"
