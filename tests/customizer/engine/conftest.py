"""Fixtures for the engine tests: a tiny Java git repository, an isolated adapter store, tiny datasets."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from gitrepos import BODIES, OPERATIONS


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty adapter store under a temporary TESTTAILOR_HOME."""
    from customizer.adapters import AdapterStore

    monkeypatch.setenv("TESTTAILOR_HOME", str(tmp_path / "home"))
    return AdapterStore()


@pytest.fixture(scope="session")
def tiny_bart(tiny_bart_dir: Path):
    from customizer.model import load_base_model

    return load_base_model(tiny_bart_dir, "cpu")


def synthetic_examples(tokenizer, n: int, seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """(source, target) pairs with a learnable mapping: the test names and calls the focal method."""
    from customizer.inputs import encode_source, encode_target

    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        op = rng.choice(OPERATIONS)
        value = rng.randint(0, 9)
        source = encode_source(tokenizer, f"public int {op}(int a, int b) {{ return {BODIES[op]}; }}", "", 64)
        target = encode_target(tokenizer, f"@Test public void test{op}() {{ assertEquals({value}, "
                                          f"calc.{op}({value}, 0)); }}", 64)
        examples.append((source, target))
    return examples
