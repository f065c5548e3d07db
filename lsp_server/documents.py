"""Opened Java documents: parsed lazily per version, and the repository's adapter state as ``testtailor/status``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from customizer.java import ParsedFile, parse_java
from customizer.placement import find_repo_root
from lsp_server.reparse import reparse
from lsp_server.server import TestTailorServer

logger = logging.getLogger(__name__)
PARSE_CACHE_SIZE = 8  # parsed documents kept (the ones the user moves around in)


@dataclass(frozen=True)
class JavaDocument:
    uri: str
    path: Path
    repo: Path
    version: int | None
    text: str
    document: TextDocument

    def parse(self) -> ParsedFile:
        return parse_java(self.text, str(self.path))


def parsed(ls: TestTailorServer, doc: JavaDocument) -> ParsedFile:
    """``doc`` parsed, re-using its last parse: as is for the same text, incrementally after an edit. Listing
    code actions on each cursor move of a 5k-line file must not parse it from scratch (tens of ms on a slow CPU)."""
    cached = ls.parse_cache.get(doc.uri)
    if cached is not None and cached[0] == doc.text:
        return cached[1]
    result = doc.parse() if cached is None else reparse(cached[1], doc.text, str(doc.path))
    ls.parse_cache.pop(doc.uri, None)
    ls.parse_cache[doc.uri] = (doc.text, result)
    while len(ls.parse_cache) > PARSE_CACHE_SIZE:  # oldest first (dicts keep insertion order)
        ls.parse_cache.pop(next(iter(ls.parse_cache)))
    return result


def java_document(ls: TestTailorServer, uri: str) -> JavaDocument | None:
    """The open (or on-disk) Java document at ``uri`` inside a git repository; None for anything else."""
    fs_path = to_fs_path(uri)
    if not fs_path or not fs_path.endswith(".java"):
        return None
    path = Path(fs_path)
    repo = find_repo_root(path.parent)
    if repo is None:
        return None
    doc = ls.workspace.get_text_document(uri)
    try:
        text = doc.source
    except OSError:
        return None
    return JavaDocument(uri=uri, path=path, repo=repo, version=doc.version, text=text, document=doc)


def repo_for_uri(ls: TestTailorServer, uri: str | None) -> Path | None:
    """The git repository of a file URI, else of the workspace root."""
    fs_path = to_fs_path(uri) if uri else ls.workspace.root_path
    return find_repo_root(Path(fs_path)) if fs_path else None


def _find_adapter(repo: Path, strategy: str) -> Any:
    from customizer.adapters import AdapterStore

    return AdapterStore().find(repo, strategy)


def cached_adapter(ls: TestTailorServer, repo: Path) -> Any:
    """The adapter meta last seen for the repo and the current strategy (None: base model)."""
    return ls.adapter_cache.get((repo, ls.settings.strategy))


async def refresh_adapter(ls: TestTailorServer, repo: Path, strategy: str | None = None) -> Any:
    """Look the repository's adapter up again (for ``strategy``, default: the setting) and cache it."""
    strategy = strategy or ls.settings.strategy
    try:
        meta = await asyncio.to_thread(_find_adapter, repo, strategy)
    except Exception as exc:
        ls.report(exc)
        meta = None
    ls.adapter_cache[(repo, strategy)] = meta
    return meta


def send_status(ls: TestTailorServer, repo: Path, meta: Any) -> None:
    if repo in ls.jobs:
        ls.status("training", strategy=ls.settings.strategy, repo=str(repo))
    elif meta is None:
        ls.status("none", strategy=ls.settings.strategy, repo=str(repo),
                  message="using the base model; run “TestTailor: Customize project” to personalize it")
    else:
        created = getattr(meta, "created", None)
        ls.status("ready", strategy=getattr(meta, "strategy", ls.settings.strategy), repo=str(repo),
                  createdAt=str(created) if created is not None else None)


def register(server: TestTailorServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: TestTailorServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = java_document(ls, params.text_document.uri)
        if doc is None:
            return
        meta = await refresh_adapter(ls, doc.repo)
        send_status(ls, doc.repo, meta)
        if ls.settings.auto_customize:
            from lsp_server.customize import auto_customize

            ls.in_background(auto_customize(ls, doc.repo, meta))  # runs after this notification
