"""The server object: pygls ``LanguageServer`` plus TestTailor state, and the feature registration."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from customizer.defaults import Settings
from customizer.errors import TestTailorError
from lsp_server import __version__

logger = logging.getLogger(__name__)
T = TypeVar("T")
STATUS_NOTIFICATION = "testtailor/status"
MAX_NEW_TOKENS_ENV = "TESTTAILOR_MAX_NEW_TOKENS"  # cap on generated tokens (tests use a small one)
THREADS_ENV = "TESTTAILOR_THREADS"  # torch CPU threads for generation (default: OMP_NUM_THREADS if set)


def env_int(name: str) -> int | None:
    """A positive integer from the environment, or None (unset or invalid: logged, never fatal)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        logger.warning("ignoring %s=%r: not a positive whole number", name, raw)
        return None
    return value


class TestTailorServer(LanguageServer):
    """Holds the settings, the model worker and running customization jobs."""

    __test__ = False

    def __init__(self) -> None:
        super().__init__("testtailor", __version__)
        self.settings = Settings()
        # One model worker: generation is CPU/GPU bound and the Generator caches one model at a time.
        self.model_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="testtailor-model")
        self.jobs: dict[Path, Any] = {}  # repo root -> running customize job
        self.conventions: dict[Path, Any] = {}  # repo root -> (HEAD commit, mined TestConventions)
        self.parse_cache: dict[str, Any] = {}  # uri -> (text, ParsedFile) last listed (documents.parsed)
        self.adapter_cache: dict[tuple[Path, str], Any] = {}  # (repo root, strategy) -> AdapterMeta | None
        self.background: set[asyncio.Task[Any]] = set()  # fire-and-forget tasks (kept alive here)
        self.auto_customized: set[Path] = set()  # repos whose automatic customization started this session
        self.drift_checked: set[tuple[Path, str, str]] = set()  # (repo, strategy, HEAD) judged by autoCustomize
        self._generator: Any = None
        self._generator_key: tuple[str, str] | None = None
        self.runtime_notes_shown: set[str] = set()  # ONNX fallback notes already shown (lsp_server.runtime)
        self.followed_exports: set[Any] = set()  # ONNX exports whose progress is reported

    def generator(self) -> Any:
        """The engine's Generator for the current base-model and device settings (imported lazily: torch is
        slow to import; rebuilt when those settings change). Model thread only."""
        key = (self.settings.base_model, self.settings.device)
        if self._generator is None or self._generator_key != key:
            logger.info("loading the base model (%s) on %s", self.settings.base_model or "shipped",
                        self.settings.device)
            started = time.monotonic()
            from customizer.generate import Generator

            options: dict[str, Any] = {"device": self.settings.device}
            if self.settings.base_model:
                options["base_model"] = self.settings.base_model
            if (max_new_tokens := env_int(MAX_NEW_TOKENS_ENV)) is not None:
                options["max_new_tokens"] = max_new_tokens
            # background exports: a resolve never waits minutes for an ONNX export (lsp_server.runtime)
            generator = Generator(background_exports=True, **options)
            generator.base  # noqa: B018  load now: loading configures torch's CPU threads, overridden below
            threads = env_int(THREADS_ENV) or env_int("OMP_NUM_THREADS")
            if threads is not None:
                import torch

                torch.set_num_threads(threads)
            self._generator, self._generator_key = generator, key
            logger.info("base model loaded in %.1f s: %s", time.monotonic() - started, generator.base.description)
        self._generator.runtime = self.settings.runtime  # torch | onnx | onnx-int8: switches without a reload
        return self._generator

    async def in_model_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.model_worker, fn, *args)

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on the event loop without awaiting it (kept alive in ``background`` until it ends)."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"TestTailor: {message}"))

    def report(self, exc: BaseException) -> None:
        """A user-fixable error as a message; anything else logged with its traceback and shown too."""
        if isinstance(exc, TestTailorError):
            self.show(exc.message, types.MessageType.Error)
        else:
            logger.error("unexpected error", exc_info=exc)
            self.show(f"internal error: {exc!r}; see the server log", types.MessageType.Error)

    async def create_progress_token(self, kind: str) -> str | None:
        """A server-initiated work-done progress token (``testtailor-<kind>-<uuid>``), or None when the client
        does not support progress or refuses the token (the work then runs without it)."""
        window = self.client_capabilities.window
        if not (window and window.work_done_progress):
            return None
        token = f"testtailor-{kind}-{uuid.uuid4()}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception as exc:  # a client that refuses progress still gets the work done
            logger.warning("client refused work done progress: %s", exc)
            return None
        return token

    def status(self, state: str, **fields: Any) -> None:
        present = {key: value for key, value in fields.items() if value is not None}
        self.protocol.notify(STATUS_NOTIFICATION, {"state": state, **present})

    def shutdown(self) -> None:
        for job in list(self.jobs.values()):
            job.cancel()
        self.model_worker.shutdown(wait=False, cancel_futures=True)
        super().shutdown()


def create_server() -> TestTailorServer:
    from lsp_server import actions, commands, config, customize, documents, new_file

    server = TestTailorServer()
    for module in (config, documents, actions, commands, customize, new_file):
        module.register(server)
    return server
