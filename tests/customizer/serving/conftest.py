"""Fixtures for the serving tests: an adapter store holding synthetic adapters of several repositories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from customizer.adapters import AdapterStore
from customizer.model import BaseModel, load_base_model
from customizer.serving.synthetic import save_synthetic_adapter

# (repository key, strategy, options): two repositories per strategy, plus a prefix of another length and a
# LoRA of another rank, which must still be served correctly.
ADAPTERS: list[tuple[str, str, dict[str, Any]]] = [
    *((repo, strategy, {"length": 4} if strategy == "prefix" else {})
      for repo in ("a1" * 20, "b2" * 20) for strategy in ("l-ldb", "l-eo", "prefix", "lora", "full")),
    ("c3" * 20, "prefix", {"length": 6, "cross_attention": True}),
    ("c3" * 20, "lora", {"r": 4, "projections": ("q", "v")}),
]


@pytest.fixture(scope="module", params=["bart", "t5"])
def family(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def served(family: str, tiny_bart_dir: Path, tiny_t5_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> tuple[BaseModel, AdapterStore]:
    """(the base model, a store with every adapter of ``ADAPTERS`` made for it)."""
    base = load_base_model(tiny_bart_dir if family == "bart" else tiny_t5_dir, "cpu", cache=False)
    store = AdapterStore(tmp_path_factory.mktemp(f"serving-{family}") / "adapters")
    for seed, (repo, strategy, options) in enumerate(ADAPTERS):
        save_synthetic_adapter(store, base, repo, strategy, options, seed=seed, scale=1.0)
    return base, store
