"""Settings: ``initializationOptions``, then ``workspace/configuration`` and ``didChangeConfiguration``."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from customizer.defaults import SETTINGS_SECTION, Settings, parse_settings
from lsp_server.server import TestTailorServer

logger = logging.getLogger(__name__)


def apply(ls: TestTailorServer, raw: Any) -> None:
    """Validate ``raw`` over the defaults; each invalid value becomes a warning, never an error."""
    ls.settings, warnings = parse_settings(raw, Settings())
    for warning in warnings:
        ls.show(warning, types.MessageType.Warning)
    logger.info("settings: %s", ls.settings)


def _prepare_runtime(ls: TestTailorServer) -> None:
    """Start an ONNX runtime's export in the background (lsp_server.runtime) once the settings are known."""
    from lsp_server import runtime

    ls.in_background(runtime.prepare(ls))


def _start_warm_up(ls: TestTailorServer) -> None:
    """Load the model and index the workspace's tests in the background (lsp_server.warmup)."""
    from lsp_server import warmup

    ls.in_background(warmup.warm_up(ls))


def _can_pull(ls: TestTailorServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def pull(ls: TestTailorServer) -> None:
    if not _can_pull(ls):
        return
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SETTINGS_SECTION)]))
    except Exception as exc:  # a client that advertises but fails: keep what we have
        logger.warning("workspace/configuration failed: %s", exc)
        return
    if result and result[0] is not None:
        apply(ls, result[0])


def register(server: TestTailorServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: TestTailorServer, params: types.InitializeParams) -> None:
        apply(ls, params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TestTailorServer, params: types.InitializedParams) -> None:
        await pull(ls)
        _prepare_runtime(ls)
        _start_warm_up(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def changed(ls: TestTailorServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SETTINGS_SECTION), dict):
            apply(ls, settings[SETTINGS_SECTION])
        else:
            await pull(ls)
        _prepare_runtime(ls)
