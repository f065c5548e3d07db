"""The ONNX runtime setting in the editor: export in the background, say once when PyTorch is used instead.

Why: exporting a model to ONNX takes a minute or more the first time, and a resolve that waited for it would look
hung. So when ``testtailor.runtime`` is ``onnx``/``onnx-int8``, or ``auto`` (the default) on a CPU with ONNX
Runtime installed, the server starts the export at start-up and on a setting change in a worker thread
(work-done progress "Preparing ONNX model"); generation uses PyTorch until it is ready. A repository's adapter is
exported as soon as a customization stores it, and at warm-up when the workspace has one (seconds: the base
model's export with the adapter's weights), so its first generation already runs on ONNX Runtime; an export
started by a generation gets the same progress. When an asked-for runtime cannot be used, its
one-line reason is shown once as a warning; under ``auto`` it is only logged (the user asked for nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lsprotocol import types

from customizer.defaults import AUTO_RUNTIME, TRAINABLE
from lsp_server.server import TestTailorServer

logger = logging.getLogger(__name__)
PROGRESS_TITLE = "Preparing ONNX model"


def show_runtime_note(ls: TestTailorServer, note: str | None) -> None:
    """Show a runtime fallback note as a warning, once per distinct note per session."""
    if note and note not in ls.runtime_notes_shown:
        ls.runtime_notes_shown.add(note)
        ls.show(note, types.MessageType.Warning)


def after_generation(ls: TestTailorServer) -> None:
    """After a generation (event loop): show its fallback note, follow any export it started."""
    generator = ls._generator
    if generator is None:
        return
    show_runtime_note(ls, generator.runtime_note)
    for what, future in generator.exports_in_progress():
        follow(ls, what, future, generator.active_runtime())


def follow(ls: TestTailorServer, what: str, future: Future[str | None], runtime: str) -> None:
    """Report a running export for ``runtime`` with work-done progress until it ends (once per export)."""
    if future in ls.followed_exports:
        return
    ls.followed_exports.add(future)
    ls.in_background(_follow(ls, what, future, runtime))


async def _follow(ls: TestTailorServer, what: str, future: Future[str | None], runtime: str) -> None:
    token = await ls.create_progress_token("onnx") if not future.done() else None
    if token is not None:
        ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=PROGRESS_TITLE, message=f"exporting the {what} for {runtime} (once; PyTorch meanwhile)"))
    try:
        note = await asyncio.wrap_future(future)
    finally:
        ls.followed_exports.discard(future)
    if token is not None:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(
            message="PyTorch is used instead" if note else f"the {what} runs on {runtime}"))
    logger.info("ONNX export of the %s: %s", what, note or "ready")
    if ls.settings.runtime != AUTO_RUNTIME:
        show_runtime_note(ls, note)



async def prepare_adapter(ls: TestTailorServer, repo: Path, strategy: str) -> None:
    """Start the export of ``repo``'s ``strategy`` adapter when the runtime is ONNX (after a customization, at
    warm-up), so that its first generation does not wait or decode with PyTorch."""
    if strategy not in TRAINABLE:
        return

    def stored(generator: Any) -> Any:  # model thread: the adapter, loaded into the server's cache, or None
        return generator.model_for(repo, strategy=strategy)[0] if generator.store.find(repo, strategy) else None

    # a damaged adapter is only logged: the next generation reports it the usual way
    await _start_export(ls, f"{strategy} adapter", stored, logging.INFO)


async def prepare(ls: TestTailorServer) -> None:
    """At start-up and on a setting change: start the base model's export when the runtime is ONNX."""
    # a bad base model or device is only logged: the resolve reports it the usual way
    await _start_export(ls, "base model", None, logging.WARNING)


async def _start_export(ls: TestTailorServer, what: str, adapter: Callable[[Any], Any] | None, level: int) -> None:
    """Start the export of the base model (``adapter`` None) or of what ``adapter(generator)`` returns (nothing when
    it returns None) in the background and follow it with progress; a failure to start is logged at ``level``."""
    if ls.settings.runtime == "torch":
        return

    def start() -> tuple[str, Future[str | None] | None]:  # model thread: creating the Generator loads the model
        generator = ls.generator()
        active = generator.active_runtime()
        if active == "torch":  # auto on a GPU: nothing to export (nor an adapter to load for it)
            return active, None
        ref = None
        if adapter is not None:
            ref = adapter(generator)
            if ref is None:  # no stored adapter to export
                return active, None
        return active, generator.prepare_runtime(ref)

    try:
        active, future = await ls.in_model_thread(start)
    except Exception as exc:
        logger.log(level, "cannot prepare the %s for %s: %s", what, ls.settings.runtime, exc)
        return
    if future is not None:
        follow(ls, what, future, active)
