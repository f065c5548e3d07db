"""Fixtures for the strategy tests: fresh tiny base models (strategies change a model in place)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from customizer.model import BaseModel, load_base_model


@pytest.fixture
def fresh_base(tiny_bart_dir: Path, tiny_t5_dir: Path) -> Callable[[str], BaseModel]:
    """``fresh_base("bart"|"t5")``: a private, freshly loaded tiny base model on CPU."""
    dirs = {"bart": tiny_bart_dir, "t5": tiny_t5_dir}

    def load(family: str) -> BaseModel:
        return load_base_model(dirs[family], device="cpu", cache=False)

    return load


@pytest.fixture
def batch(tiny_bart_dir: Path) -> dict[str, torch.Tensor]:
    """A tiny padded training batch (focal → test) for the tokenizer the tiny models share."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bart_dir, local_files_only=True)
    sources = ["public int add(int a, int b) { return a + b; }", "public String getName() { return name; }"]
    targets = ["@Test public void testAdd() { assertEquals(3, calc.add(1, 2)); }",
               "@Test void shouldReturnEmptyList() { assertTrue(list.isEmpty()); }"]
    encoded = tokenizer(sources, padding=True, return_tensors="pt")
    labels = tokenizer(targets, padding=True, return_tensors="pt")["input_ids"]
    labels[labels == tokenizer.pad_token_id] = -100
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"], "labels": labels}
