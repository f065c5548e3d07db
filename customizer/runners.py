"""Which runtime decodes each model a :class:`customizer.generate.Generator` serves: PyTorch, or the model's ONNX
Runtime export (:mod:`customizer.ort`), made once and kept while its adapter file is unchanged.

The served model is changed in place while it decodes (adapters are switched into it), so an export is made from a
private copy loaded from disk, in a worker thread when ``background_exports`` is on (the language server: PyTorch
decodes until the export is ready), and one at a time (each takes the CPU for minutes). When an export is not
possible, the model decodes with PyTorch and ``runtime_note`` says why, except under ``auto``, which falls back
quietly. L-LDB adapters share one *fed* export, and the base model joins its float32 sessions once one exists
(:mod:`customizer.ort.fed`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from torch import nn

from customizer.adapters import AdapterStore, export_owner
from customizer.defaults import AUTO_RUNTIME
from customizer.errors import TestTailorError
from customizer.memory import release_freed_memory
from customizer.model import BaseModel, load_base_model
from customizer.serving import AdapterRef
from customizer.strategies import get_strategy

logger = logging.getLogger(__name__)
ExportKey = tuple[str, AdapterRef | None, Any]  # (runtime, adapter or None for the base, adapter file signature)
_MISSING = object()


def fallback_note(runtime: str, reason: str) -> str:
    """The one line users see when ``runtime`` was asked for but PyTorch runs instead."""
    from customizer.ort.runtime import fallback_message

    return fallback_message(runtime, reason)


class Runners:
    """The runner (the module itself, or an ONNX Runtime session pair) of the base model and of each adapter.

    ``base`` returns the served base model (loaded on first use); ``lock`` is the Generator's, so that the server
    and the exports are guarded alike; up to ``cached_adapters`` adapters' exports are kept (their sessions hold
    their own weights).
    """

    def __init__(self, store: AdapterStore, base: Callable[[], BaseModel], lock: threading.RLock,
                 runtime: str = "torch", background_exports: bool = False, cached_adapters: int = 3) -> None:
        self.store = store
        self._base = base
        self._lock = lock
        # "torch", "onnx"/"onnx-int8" (ONNX Runtime on the CPU, customizer.ort), or "auto" (see active_runtime)
        self.runtime = runtime
        self.runtime_note: str | None = None  # why the asked-for runtime is not used (one line), if so
        self.background_exports = background_exports
        self.cached_adapters = cached_adapters
        self._last_fallback: str | None = None  # the fallback note last logged
        self._onnx: Any = None  # OnnxRuntimeCache for modules the server does not serve (callers' own copies)
        self.exports: dict[ExportKey, Any] = {}  # ready OnnxSeq2Seq, or the fallback note (str)
        self._base_export_tried = False  # _ensure_base_export: once, whatever came of it
        # (fed export folder, the base model's values of its fed parameters), once an L-LDB adapter runs on it: the
        # base model then runs on the same sessions (customizer/ort/fed.py)
        self._fed_base: tuple[Path, dict[str, Any]] | None = None
        self._pending: dict[ExportKey, Future[str | None]] = {}  # exports running in a worker thread
        self._export_lock = threading.Lock()  # one export at a time: each takes the CPU for minutes

    @property
    def base(self) -> BaseModel:
        """The served base model (the Generator loads it on first use)."""
        return self._base()

    def runner(self, module: nn.Module, adapter: AdapterRef | None = None) -> Any:
        """What decodes for ``module``: itself, or its ONNX Runtime export when ``runtime`` asks for one.

        ``module`` is the served one (the base model, or what ``server.adapted(adapter)`` yielded) or a caller's
        own model (exported as it is). When the export is not possible the module decodes with PyTorch and
        ``runtime_note`` says why; with ``background_exports`` it also decodes with PyTorch while the export runs.
        """
        if self.active_runtime() == "torch":
            self.runtime_note = None
            return module
        if adapter is None and module is not self.base.model:
            return self._own_module_runner(module)
        key = self.export_key(adapter)
        with self._lock:
            found = self.exports.get(key)
        if found is None:
            if self.background_exports:
                self.prepare_runtime(adapter)
                self.runtime_note = None  # not a fallback: ONNX takes over once the export is ready
                return module
            future = self.prepare_runtime(adapter)
            if future is not None:
                future.result()
            with self._lock:
                found = self.exports.get(key)
        if found is None or isinstance(found, str):
            self._fall_back(found or fallback_note(self.active_runtime(), "the ONNX export did not finish"))
            return module
        self.runtime_note = None
        return found

    def active_runtime(self) -> str:
        """The runtime that decodes: ``runtime`` itself, or for ``auto`` ``onnx`` when the model is on the CPU and
        ONNX Runtime is installed, else ``torch`` (a GPU decodes faster with PyTorch; ONNX Runtime here is the
        CPU build). ``auto`` falls back quietly: its fallback is logged, never a ``runtime_note``."""
        if self.runtime != AUTO_RUNTIME:
            return self.runtime
        from customizer.ort import runtime

        return "onnx" if self.base.device.type == "cpu" and runtime.onnx_available() is None else "torch"

    def _fall_back(self, note: str) -> None:
        """Decode with PyTorch instead of the active runtime: log ``note`` once; show it unless the runtime is
        ``auto`` (a user who never asked for ONNX Runtime has nothing to act on)."""
        if note != self._last_fallback:
            logger.info("%s", note)
            self._last_fallback = note
        self.runtime_note = None if self.runtime == AUTO_RUNTIME else note

    def _own_module_runner(self, module: nn.Module) -> Any:
        """The ONNX runner of a module the server does not serve (exported as it is, keyed by the module)."""
        from customizer.errors import OnnxExportError
        from customizer.ort import OnnxRuntimeCache

        runtime = self.active_runtime()
        with self._lock:
            if self._onnx is None or self._onnx.runtime != runtime:
                self._onnx = OnnxRuntimeCache(runtime)
        try:
            self._ensure_base_export(None)
            runner = self._onnx.runner(module, self.base.model, self.base.fingerprint)
        except OnnxExportError as exc:
            self._fall_back(fallback_note(runtime, exc.message))
            return module
        self.runtime_note = None
        return runner

    def export_key(self, adapter: AdapterRef | None) -> ExportKey:
        signature = None if adapter is None else self.store.signature(adapter.repo_key, adapter.strategy)
        return self.active_runtime(), adapter, signature

    def prepare_runtime(self, adapter: AdapterRef | None = None) -> Future[str | None] | None:
        """Start exporting the base model (or ``adapter``'s model) for the ONNX ``runtime`` in a worker thread.

        None with the torch runtime. The future's result is the fallback note (the export is not possible) or
        None (ready: the next generation decodes with ONNX Runtime); asking again returns the same future.
        Exports run one at a time in daemon threads, so a server can exit while one runs.
        """
        if self.active_runtime() == "torch":
            return None
        key = self.export_key(adapter)
        with self._lock:
            found = self.exports.get(key, _MISSING)
            if found is not _MISSING:
                done: Future[str | None] = Future()
                done.set_result(found if isinstance(found, str) else None)
                return done
            pending = self._pending.get(key)
            if pending is not None:
                return pending
            future: Future[str | None] = Future()
            future.set_running_or_notify_cancel()
            self._pending[key] = future
        what = "base model" if adapter is None else f"{adapter.strategy} adapter {adapter.repo_key[:12]}"
        threading.Thread(target=self._export, args=(key, future), name=f"testtailor-onnx-export ({what})",
                         daemon=True).start()
        return future

    def exports_in_progress(self) -> list[tuple[str, Future[str | None]]]:
        """(what is exported, its future) for each export still running, for a progress display."""
        with self._lock:
            return [("base model" if ref is None else f"{ref.strategy} adapter", future)
                    for (_, ref, _), future in self._pending.items()]

    def _export(self, key: ExportKey, future: Future[str | None]) -> None:
        """Build one export (worker thread) and record the runner or the fallback note; never raises."""
        runtime, adapter, _ = key
        note: str | None = None
        try:
            with self._export_lock:
                result: Any = self._build_runner(runtime, adapter)
                release_freed_memory(collect=True)  # the private model copy it loaded: about 260 MB
        except Exception as exc:  # a worker thread must record every failure, or generation would wait forever
            if not isinstance(exc, TestTailorError):
                logger.exception("unexpected ONNX export failure")
            reason = exc.message if isinstance(exc, TestTailorError) else f"the export failed ({type(exc).__name__})"
            result = note = fallback_note(runtime, reason)
        base_on_fed = self._base_on_fed(runtime) if adapter is not None and note is None else None
        with self._lock:
            for other in [k for k in self.exports if k[0] != runtime or (k[1] == adapter and k != key)]:
                del self.exports[other]  # another runtime, or a superseded adapter file: free its sessions
            self.exports[key] = result
            if base_on_fed is not None:  # the base model's own sessions are freed once no generation holds them
                self.exports[(runtime, None, None)] = base_on_fed
            self._pending.pop(key, None)
            runners = [k for k, v in self.exports.items() if not isinstance(v, str)]
            for old in runners[:max(0, len(runners) - self.cached_adapters - 1)]:
                del self.exports[old]  # ORT sessions hold their own weights: keep as many as served adapters
        future.set_result(note)

    def _base_on_fed(self, runtime: str) -> Any:
        """A runner of the base model on the fed export an L-LDB adapter runs on (its own block values fed), so the
        base model and the adapters share one session pair instead of holding two (about 320 MB each for the shipped
        model; decoding is 6–18% slower, ``bench/bench_onnx_fed.py``); None when there is none to make or the base
        model already runs on it."""
        from customizer.errors import OnnxExportError
        from customizer.ort import OnnxSeq2Seq

        fed = self._fed_base
        if fed is None or runtime != "onnx":  # float32 only: on int8 graphs, the block fed in float32 would give
            # the base model other candidates than its own int8 export, depending on whether an adapter ran first
            return None
        with self._lock:
            current = self.exports.get((runtime, None, None))
        if getattr(current, "directory", None) == fed[0]:
            return None
        try:
            return OnnxSeq2Seq(fed[0], fed=fed[1])
        except (OnnxExportError, OSError, ValueError, KeyError, RuntimeError) as exc:  # its own export still serves
            logger.info("the base model keeps its own ONNX sessions: %s", exc)
            return None

    def _build_runner(self, runtime: str, adapter: AdapterRef | None) -> Any:
        """The ONNX runner for the base model or ``adapter``, exported (or read from the cache) from a private
        copy loaded from disk: the served model must not be copied while another thread switches it."""
        from customizer.errors import OnnxExportError
        from customizer.ort import OnnxRuntimeCache
        from customizer.ort.fed import FED_INPUTS, FED_STRATEGIES, fed_arrays

        if self.base.device.type != "cpu":
            raise OnnxExportError(f"the ONNX runtime runs on the CPU, but the model is on {self.base.device}")
        if adapter is None:  # the base model's export is found by the weights file's fingerprint: no copy to load
            on_fed = self._base_on_fed(runtime)  # or it joins the sessions the L-LDB adapters share
            if on_fed is not None:
                return on_fed
            cached = OnnxRuntimeCache(runtime).cached(self.base.fingerprint)
            if cached is not None:
                return cached
        fresh = load_base_model(self.base.path, "cpu", cache=False)
        if adapter is None:
            return OnnxRuntimeCache(runtime).runner(fresh.model, fresh.model, fresh.fingerprint)
        self._ensure_base_export(fresh)
        meta, state = self.store.load(adapter.repo_key, adapter.strategy, fresh.fingerprint, str(fresh.path),
                                      base=dict(fresh.model.named_parameters()))
        strategy = get_strategy(meta.strategy, **meta.strategy_options)
        # L-LDB adapters run on the base graphs with their block fed as inputs: one session pair for all of them
        fed = [name for name, _ in strategy.trainable_parameters(fresh.model)] if meta.strategy in FED_STRATEGIES \
            else None
        base_values = fed_arrays(fresh.model, fed) if fed else {}  # before the adapter changes fresh.model in place
        module = strategy.load_state_dict(fresh.model, state).eval()
        # the adapted module may be the same object as fresh.model (l-ldb changes it in place): no module is
        # "the base" here, so the export is keyed by the adapted weights' fingerprint
        runner = OnnxRuntimeCache(runtime).runner(module, nn.Identity(), fresh.fingerprint,
                                                  owner=export_owner(meta.repo_key, meta.strategy), fed=fed)
        if fed and FED_INPUTS in runner.meta and runtime == "onnx":  # the base model joins float32 graphs only
            self._fed_base = (runner.directory, base_values)
        return runner

    def _ensure_base_export(self, fresh: BaseModel | None) -> None:
        """Export the base model (float32) unless the cache has it, from ``fresh`` or a private copy loaded from
        disk (never the served model, which an adapter may have changed): an adapted model's export is then an
        overlay of its changed weights on the base export, seconds instead of minutes (:mod:`customizer.ort.reweight`).
        A base model that does not export is left to the adapted model's own export to report."""
        from customizer.errors import OnnxExportError, StorageError
        from customizer.ort.export import cached_export, default_cache_root, ensure_export

        if self._base_export_tried:  # a base model that cannot be exported is not loaded again at every call
            return
        self._base_export_tried = True
        root = default_cache_root()
        if cached_export(root, self.base.fingerprint, None, "fp32") is not None:
            return
        fresh = fresh or load_base_model(self.base.path, "cpu", cache=False)
        try:
            ensure_export(fresh.model, root, fresh.fingerprint, None, "fp32")
        except (OnnxExportError, StorageError) as exc:
            logger.info("the base model was not exported: %s", exc.message)

