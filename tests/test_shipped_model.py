"""End-to-end checks with the base model shipped in the package (not a tiny random one)."""

from __future__ import annotations

import json

import pytest
from gitrepos import shopkit_repo

from customizer.cli import main
from customizer.model import PACKAGED_BASE_MODEL_DIR, load_base_model

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shopkit(tmp_path_factory):
    return shopkit_repo(tmp_path_factory.mktemp("shipped") / "shopkit")


def test_the_package_ships_a_loadable_base_model_with_its_tokenizer():
    weights = sorted(PACKAGED_BASE_MODEL_DIR.glob("*.safetensors"))
    assert weights and sum(f.stat().st_size for f in weights) < 60_000_000  # the cap on the package
    meta = json.loads((PACKAGED_BASE_MODEL_DIR / "testtailor.json").read_text())
    base = load_base_model(PACKAGED_BASE_MODEL_DIR, device="cpu")
    assert base.family == "bart" and base.fingerprint and meta["params"] > 1_000_000
    assert base.tokenizer.pad_token_id == 1 and len(base.tokenizer) == base.model.config.vocab_size


def test_generate_with_the_shipped_model_on_the_example(shopkit, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("TESTTAILOR_BASE_MODEL", raising=False)
    monkeypatch.setenv("TESTTAILOR_HOME", str(tmp_path / "home"))
    rc = main(["generate", str(shopkit), "--file", "src/main/java/io/shopkit/tax/TaxCalculator.java",
               "--line", "72", "--candidates", "2", "--base-only", "--max-new-tokens", "48", "--retrieved-first", "0",
               "--json"])
    assert rc == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"]["name"] == "isExempt" and "testtailor-base" in result["model"]
    assert 1 <= len(result["candidates"]) <= 2


def test_strategies_table_for_the_shipped_model(capsys):
    assert main(["strategies", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    text = json.dumps(rows)
    for name in ("full", "l-eo", "l-ldb", "prefix", "lora"):
        assert name in text


def test_no_stray_files_written_into_the_package():
    assert not any(p.name.startswith(".base_model") for p in PACKAGED_BASE_MODEL_DIR.parent.iterdir())


def test_bf16_shipped_weights_load_as_float32_and_train(shopkit, tmp_path):
    """The weights are stored in bf16; loading must give fp32 parameters so CPU training works."""
    import torch

    from customizer.adapters import AdapterStore
    from customizer.customize import customize_project
    from customizer.train import TrainConfig

    base = load_base_model(PACKAGED_BASE_MODEL_DIR, device="cpu", cache=False)
    assert {p.dtype for p in base.model.parameters()} == {torch.float32}
    meta, result = customize_project(shopkit, strategy="l-ldb", device="cpu", base_model=PACKAGED_BASE_MODEL_DIR,
                                     store=AdapterStore(tmp_path / "store"),
                                     config=TrainConfig(max_epochs=1, max_minutes=0.5))
    assert result.steps >= 1 and meta.strategy == "l-ldb"
