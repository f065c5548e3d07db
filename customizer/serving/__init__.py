"""Serving many personalized models from one base model: adapter cache and mixed-adapter batches (issue #9)."""

from __future__ import annotations

from customizer.serving.lru import BoundedLRU
from customizer.serving.server import AdapterRef, AdapterServer, CachedAdapter, Request, RowOutput

__all__ = ["AdapterRef", "AdapterServer", "BoundedLRU", "CachedAdapter", "Request", "RowOutput"]
