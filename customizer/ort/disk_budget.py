"""How much disk the ONNX export cache may take, and which exports leave when it is over.

Every customized adapter gets an export of its own (an overlay of its changed weights on the base model's export,
or a traced copy of the graphs for prefix tuning: 258 MB in fp32 for the shipped model), and customizing a project
again makes a new one: unbounded, the cache grows by that much per customization, and an evaluation run by one
export per cell. So the cache keeps the exports used last (each use touches the export's ``export.json``, and an
overlay's use its base export's too) and removes the least recently used ones beyond ``TESTTAILOR_ONNX_CACHE_MB``
megabytes (default 2048); the export just written or used, and the base export it builds on, always stay, and
overlays whose base export left go with it. A removal renames the export's folder away first, so a reader never
finds half an export: at worst an export it was about to open is gone, it cannot load, and that model decodes
with PyTorch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from customizer.adapters import folder_size, is_stale_temporary

META_FILE = "export.json"
BUDGET_ENV = "TESTTAILOR_ONNX_CACHE_MB"
DEFAULT_BUDGET_MB = 2048

logger = logging.getLogger(__name__)


def budget_bytes() -> int:
    """The cache's budget from ``TESTTAILOR_ONNX_CACHE_MB`` (a number of megabytes; 0 keeps only the export in
    use), or the default when it is unset or not a number (logged)."""
    raw = os.environ.get(BUDGET_ENV, "").strip()
    if raw:
        try:
            return max(0, int(float(raw) * 1024 * 1024))
        except ValueError:
            logger.warning("%s=%r is not a number of megabytes; using %d", BUDGET_ENV, raw, DEFAULT_BUDGET_MB)
    return DEFAULT_BUDGET_MB * 1024 * 1024


def mark_used(export: Path) -> None:
    """Record that ``export`` (a precision folder holding ``export.json``) was used now (best effort: a read-only
    cache only loses the order)."""
    with contextlib.suppress(OSError):
        os.utime(export / META_FILE)


def _last_used(folder: Path) -> float:
    stamps = [meta.stat().st_mtime for meta in folder.glob(f"*/{META_FILE}")]
    return max(stamps) if stamps else folder.stat().st_mtime


def _exports(root: Path, keep: Path | None) -> list[Path]:
    """The export folders of ``root`` but ``keep``; raises OSError when ``root`` cannot be listed."""
    return [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p != keep]


def prune(root: Path, keep: Path, budget: int | None = None) -> list[Path]:
    """Remove the least recently used export folders of ``root`` (one per model: ``<base>-<adapter>-v<N>``) until
    the rest fits ``budget`` bytes (default :func:`budget_bytes`); ``keep`` and the base exports its overlays build
    on stay whatever their size, and overlays whose base export is gone leave too. Returns the removed folders."""
    budget = budget_bytes() if budget is None else budget
    try:
        ranked = sorted(_exports(root, keep), key=_last_used, reverse=True)
    except OSError:
        return []  # another process pruned at the same time: it will have done the work
    needed = {base for base in map(_overlay_base, keep.glob(f"*/{META_FILE}")) if base is not None}
    total = folder_size(keep)
    removed = []
    for folder in ranked:
        size = folder_size(folder)
        if folder.name in needed or total + size <= budget:
            total += size
            continue
        if remove(folder):
            removed.append(folder)
    for folder in ranked:
        bases = [_overlay_base(meta) for meta in folder.glob(f"*/{META_FILE}")]
        if folder.is_dir() and any(base is not None and not (root / base).is_dir() for base in bases) \
                and remove(folder):
            removed.append(folder)
    _clean_leftovers(root)
    if removed:
        logger.info("removed %d least recently used ONNX exports from %s (over the %d MB budget, %s)",
                    len(removed), root, budget // (1024 * 1024), BUDGET_ENV)
    return removed


def overlay_base_of(meta: dict[str, Any]) -> str | None:
    """Where the base export an overlay export (its ``export.json`` as ``meta``) builds on lies, relative to the
    cache root (``<base export folder>/<precision>``); None for an export with graphs of its own."""
    overlay = meta.get("overlay")
    return str(overlay["base"]) if isinstance(overlay, dict) and "base" in overlay else None


def _overlay_base(meta_file: Path) -> str | None:
    """The folder name of the base export an overlay export (its ``export.json``) builds on, None for any other."""
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    base = overlay_base_of(meta) if isinstance(meta, dict) else None
    return None if base is None else base.split("/")[0]


def owner_of(folder: Path) -> str | None:
    """The adapter an export folder was made for (``export.json``'s ``owner``: ``<repo key>/<strategy>``), if any."""
    for meta in folder.glob(f"*/{META_FILE}"):
        try:
            owner = json.loads(meta.read_text(encoding="utf-8")).get("owner")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(owner, str):
            return owner
    return None


def remove_owned(root: Path, owner: str, keep: Path | None = None) -> list[Path]:
    """Remove the export folders of ``root`` made for the adapter ``owner`` except ``keep``: an adapter customized
    again or removed leaves no export behind (each is the base model's size). Returns the removed folders."""
    try:
        folders = _exports(root, keep)
    except OSError:
        return []
    removed = [folder for folder in folders if owner_of(folder) == owner and remove(folder)]
    _clean_leftovers(root)
    if removed:
        logger.info("removed %d ONNX exports of the adapter %s from %s", len(removed), owner, root)
    return removed


def remove(folder: Path) -> bool:
    """Delete an export folder, renamed away first so that no reader finds half of it; False when another process
    took it first."""
    trash = folder.with_name(f".{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    try:
        os.replace(folder, trash)
    except OSError:
        return False
    shutil.rmtree(trash, ignore_errors=True)
    return True


def _clean_leftovers(root: Path) -> None:
    """Remove what a process that died half-way through a removal left behind."""
    for leftover in root.glob(".*.tmp-*"):
        if is_stale_temporary(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
