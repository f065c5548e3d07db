"""Loading local seq2seq checkpoints, fingerprints, the in-process cache and device selection."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import torch

from customizer import model as model_module
from customizer.errors import DeviceError, ModelLoadError
from customizer.model import (
    clear_model_cache,
    count_parameters,
    fingerprint_weights,
    load_base_model,
    resolve_device,
    shipped_base_model_dir,
)


@pytest.mark.parametrize(("fixture", "family"), [("tiny_bart_dir", "bart"), ("tiny_t5_dir", "t5")])
def test_loads_local_checkpoint(fixture: str, family: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(fixture)
    base = load_base_model(path, device="cpu", cache=False)
    assert base.family == family
    assert base.device == torch.device("cpu")
    assert not base.model.training
    assert base.fingerprint == hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    assert base.description == f"base model {path.name} (sha256 {base.fingerprint[:8]}…)"
    assert base.tokenizer.pad_token_id == 1
    assert base.model.config._attn_implementation == "sdpa"


def test_cache_returns_the_same_model_until_cleared(tiny_bart_dir: Path) -> None:
    clear_model_cache()
    first = load_base_model(tiny_bart_dir, device="cpu")
    assert load_base_model(str(tiny_bart_dir), device="cpu") is first
    assert load_base_model(tiny_bart_dir, device="cpu", cache=False) is not first
    clear_model_cache()
    assert load_base_model(tiny_bart_dir, device="cpu") is not first
    clear_model_cache()


def test_dtype_is_applied(tiny_t5_dir: Path) -> None:
    base = load_base_model(tiny_t5_dir, device="cpu", dtype="bfloat16", cache=False)
    assert next(base.model.parameters()).dtype == torch.bfloat16
    with pytest.raises(ModelLoadError, match="unknown dtype"):
        load_base_model(tiny_t5_dir, device="cpu", dtype="float8", cache=False)


def test_bad_directories_are_refused_with_what_to_pass(tmp_path: Path, tiny_bart_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_base_model(tmp_path / "missing", device="cpu")
    with pytest.raises(ModelLoadError, match=r"no config\.json"):
        load_base_model(tmp_path, device="cpu")
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    shutil.copy(tiny_bart_dir / "config.json", pickled / "config.json")
    (pickled / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(ModelLoadError, match=r"pickle weights.*safe_serialization=True"):
        load_base_model(pickled, device="cpu")
    no_tokenizer = tmp_path / "no-tokenizer"
    no_tokenizer.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(tiny_bart_dir / name, no_tokenizer / name)
    with pytest.raises(ModelLoadError, match="tokenizer"):
        load_base_model(no_tokenizer, device="cpu", cache=False)


def test_no_installed_base_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_t5_dir: Path) -> None:
    monkeypatch.delenv("TESTTAILOR_BASE_MODEL", raising=False)
    monkeypatch.delenv("TESTTAILOR_DEV_CHECKPOINTS", raising=False)
    monkeypatch.setattr(model_module, "PACKAGED_BASE_MODEL_DIR", tmp_path / "empty")
    assert shipped_base_model_dir() is None
    with pytest.raises(ModelLoadError, match="--base-model PATH"):
        load_base_model(None, device="cpu")
    monkeypatch.setattr(model_module, "PACKAGED_BASE_MODEL_DIR", tiny_t5_dir)
    assert shipped_base_model_dir() == tiny_t5_dir
    monkeypatch.setenv("TESTTAILOR_BASE_MODEL", str(tmp_path))
    assert shipped_base_model_dir() == tmp_path


def test_dev_checkpoint_is_used_only_when_enabled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  tiny_bart_dir: Path) -> None:
    monkeypatch.delenv("TESTTAILOR_BASE_MODEL", raising=False)
    monkeypatch.setattr(model_module, "PACKAGED_BASE_MODEL_DIR", tmp_path / "empty")
    monkeypatch.setattr(model_module, "DEV_CHECKPOINT_DIR", tiny_bart_dir)
    monkeypatch.delenv("TESTTAILOR_DEV_CHECKPOINTS", raising=False)
    assert shipped_base_model_dir() is None
    monkeypatch.setenv("TESTTAILOR_DEV_CHECKPOINTS", "1")
    assert shipped_base_model_dir() == tiny_bart_dir


def test_fingerprint_covers_every_weights_file(tmp_path: Path) -> None:
    (tmp_path / "b.safetensors").write_bytes(b"second")
    (tmp_path / "a.safetensors").write_bytes(b"first")
    assert fingerprint_weights(tmp_path) == hashlib.sha256(b"firstsecond").hexdigest()
    assert fingerprint_weights(tmp_path / "a.safetensors") == hashlib.sha256(b"first").hexdigest()
    with pytest.raises(ModelLoadError, match="safetensors"):
        fingerprint_weights(tmp_path / "missing")


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("CPU") == torch.device("cpu")
    if not torch.cuda.is_available():
        assert resolve_device("auto").type in ("cpu", "mps")
        with pytest.raises(DeviceError, match="CUDA was requested but no GPU is visible to PyTorch; "
                                              "use --device cpu or auto"):
            resolve_device("cuda")
        with pytest.raises(DeviceError, match="CUDA was requested"):
            resolve_device("cuda:1")
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        resolve_device("tpu")
    assert torch.get_num_threads() >= 1


def test_count_parameters_counts_tied_weights_once(tiny_bart_dir: Path) -> None:
    model = load_base_model(tiny_bart_dir, device="cpu", cache=False).model
    assert model.lm_head.weight is model.model.shared.weight
    unique = {id(p): p.numel() for p in model.parameters()}
    assert count_parameters(model) == sum(unique.values())
    assert count_parameters(model) < sum(p.numel() for p in model.state_dict().values())
