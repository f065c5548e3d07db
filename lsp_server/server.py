"""The server object: pygls ``LanguageServer`` plus TestTailor state, and the feature registration."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
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


class TestTailorServer(LanguageServer):
    """Holds the settings, the model worker and running customization jobs."""

    __test__ = False

    def __init__(self) -> None:
        super().__init__("testtailor", __version__)
        self.settings = Settings()
        # One model worker: generation is CPU/GPU bound and the Generator caches one model at a time.
        self.model_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="testtailor-model")
        self.jobs: dict[Path, Any] = {}  # repo root -> running customize job
        self.conventions: dict[Path, Any] = {}  # repo root -> mined TestConventions
        self.adapter_cache: dict[tuple[Path, str], Any] = {}  # (repo root, strategy) -> AdapterMeta | None
        self._generator: Any = None

    def generator(self) -> Any:
        """The engine's cached Generator (imported lazily: torch is slow to import). Model thread only."""
        if self._generator is None:
            from customizer.generate import Generator

            self._generator = Generator()
        return self._generator

    async def in_model_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.model_worker, fn, *args)

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"TestTailor: {message}"))

    def report(self, exc: BaseException) -> None:
        """A user-fixable error as a message; anything else logged with its traceback and shown too."""
        if isinstance(exc, TestTailorError):
            self.show(exc.message, types.MessageType.Error)
        else:
            logger.error("unexpected error", exc_info=exc)
            self.show(f"internal error: {exc!r}; see the server log", types.MessageType.Error)

    def status(self, state: str, **fields: Any) -> None:
        present = {key: value for key, value in fields.items() if value is not None}
        self.protocol.notify(STATUS_NOTIFICATION, {"state": state, **present})

    def shutdown(self) -> None:
        for job in list(self.jobs.values()):
            job.cancel()
        self.model_worker.shutdown(wait=False, cancel_futures=True)
        super().shutdown()


def create_server() -> TestTailorServer:
    from lsp_server import actions, commands, config, customize, documents

    server = TestTailorServer()
    for module in (config, documents, actions, commands, customize):
        module.register(server)
    return server
