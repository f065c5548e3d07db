"""Adapter tensors stored as int8 changes from the base model: close to the trained ones, a quarter of the size."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save

from customizer.adapter_tensors import DELTA_SUFFIX, SCALE_SUFFIX, compact, expand
from customizer.adapters import AdapterMeta, AdapterStore
from customizer.errors import AdapterError


def _base_and_trained() -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    base = {"w": torch.randn(64, 128, generator=generator), "bias": torch.randn(64, generator=generator)}
    trained = {"w": base["w"] + 1e-3 * torch.randn(64, 128, generator=generator),
               "bias": base["bias"] + 0.1, "prefix": torch.randn(8, 128, generator=generator)}
    return base, trained


def test_matrices_are_stored_as_int8_changes_and_come_back_within_half_a_step() -> None:
    base, trained = _base_and_trained()
    stored = compact(trained, base)
    assert stored["w" + DELTA_SUFFIX].dtype == torch.int8 and stored["w" + SCALE_SUFFIX].shape == (64, 1)
    assert stored["bias"] is trained["bias"] and stored["prefix"] is trained["prefix"]  # a vector / not in base
    back = expand(stored, base)
    assert set(back) == set(trained)
    step = (trained["w"] - base["w"]).abs().amax(dim=1, keepdim=True) / 127
    assert torch.all((back["w"] - trained["w"]).abs() <= step / 2 + 1e-7)
    # the error is relative to the change (about 1e-3), far below the int8 error of the weight itself (about 1e-2)
    assert (back["w"] - trained["w"]).abs().max() < 1e-4
    matrix = len(save({"w" + DELTA_SUFFIX: stored["w" + DELTA_SUFFIX], "w" + SCALE_SUFFIX: stored["w" + SCALE_SUFFIX]}))
    assert matrix < 0.3 * len(save({"w": trained["w"]}))


def test_an_unchanged_matrix_comes_back_exactly() -> None:
    base, _ = _base_and_trained()
    assert torch.equal(expand(compact({"w": base["w"].clone()}, base), base)["w"], base["w"])


@pytest.mark.parametrize("damage", ["no scale", "no change", "wrong base", "no base"])
def test_a_damaged_or_foreign_change_is_refused(damage: str) -> None:
    base, trained = _base_and_trained()
    stored = compact(trained, base)
    if damage == "no scale":
        del stored["w" + SCALE_SUFFIX]
    elif damage == "no change":
        del stored["w" + DELTA_SUFFIX]
    elif damage == "wrong base":
        base = {"w": torch.zeros(32, 128)}
    else:
        base = {}
    with pytest.raises(AdapterError, match="customize again"):
        expand(stored, base, where="the l-ldb adapter for calc")


def test_an_adapter_stored_by_a_newer_version_is_refused_with_advice(tmp_path: Path) -> None:
    store = AdapterStore(tmp_path)
    meta = AdapterMeta(repo_key="a" * 40, repo_name="calc", worktree="", strategy="l-ldb", base_fingerprint="f" * 64,
                       base_model="m", tensor_encoding="int4-delta-v9")
    store.save(meta, {"w": torch.zeros(2, 2)})
    with pytest.raises(AdapterError, match="cannot read; upgrade TestTailor"):
        store.load("a" * 40, "l-ldb")
