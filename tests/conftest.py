"""Shared fixtures: tiny randomly initialised BART and T5 checkpoints with a tiny byte-level BPE tokenizer.

They are real Hugging Face checkpoint directories (config, safetensors weights, tokenizer files) so the code
under test loads them exactly as it loads the shipped base model.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tiny models run fastest on one thread, and subprocesses (language server, CLI) inherit this.
os.environ.setdefault("TESTTAILOR_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Nothing the tests write lands in the developer's own adapters or caches: the ONNX export cache removes what is
# over its disk budget, so a test exporting into the real cache could remove the developer's exports.
_ISOLATED = tempfile.mkdtemp(prefix="testtailor-tests-")
atexit.register(shutil.rmtree, _ISOLATED, True)
os.environ["TESTTAILOR_HOME"] = os.path.join(_ISOLATED, "home")
os.environ["TESTTAILOR_CACHE"] = os.path.join(_ISOLATED, "cache")
os.environ.pop("TESTTAILOR_ONNX_CACHE", None)

JAVA_SAMPLES = [
    "public int add(int a, int b) { return a + b; }",
    "@Test public void testAdd() { assertEquals(3, calc.add(1, 2)); }",
    "@Test void shouldReturnEmptyList() { assertTrue(list.isEmpty()); }",
    "public String getName() { return this.name; }",
    "private static final Map<String, Integer> CACHE = new HashMap<>();",
    "for (int i = 0; i < n; i++) { sum += values[i]; } throw new IllegalArgumentException(\"x\");",
]


def _train_tiny_tokenizer(out: Path) -> None:
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(JAVA_SAMPLES * 20, vocab_size=400, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>",
                                  pad_token="<pad>", unk_token="<unk>", mask_token="<mask>",
                                  model_max_length=256)
    tok.save_pretrained(out)


@pytest.fixture(scope="session")
def tiny_bart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BART (d=32, 2+2 layers) saved as a local checkpoint directory."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    out = tmp_path_factory.mktemp("tiny-bart")
    _train_tiny_tokenizer(out)
    torch.manual_seed(0)
    config = BartConfig(vocab_size=400, d_model=32, encoder_layers=2, decoder_layers=2,
                        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                        decoder_ffn_dim=64, max_position_embeddings=256, pad_token_id=1, bos_token_id=0,
                        eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2)
    BartForConditionalGeneration(config).save_pretrained(out, safe_serialization=True)
    return out

@pytest.fixture
def penalty_model(tiny_bart_dir: Path, tmp_path: Path) -> Path:
    """The tiny BART with a generation setting the ONNX beam search does not reproduce (so: not exportable)."""
    import json
    import shutil

    model_dir = tmp_path / "bart-penalty"
    shutil.copytree(tiny_bart_dir, model_dir)
    config = json.loads((model_dir / "generation_config.json").read_text())
    (model_dir / "generation_config.json").write_text(json.dumps({**config, "repetition_penalty": 1.3}))
    return model_dir



@pytest.fixture(scope="session")
def tiny_t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random T5 (d=32, 2+2 layers) with the same tokenizer, saved as a local checkpoint directory."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    out = tmp_path_factory.mktemp("tiny-t5")
    _train_tiny_tokenizer(out)
    torch.manual_seed(0)
    config = T5Config(vocab_size=400, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
                      num_heads=4, pad_token_id=1, eos_token_id=2, decoder_start_token_id=1)
    T5ForConditionalGeneration(config).save_pretrained(out, safe_serialization=True)
    return out


@pytest.fixture(scope="session")
def java_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository with one class of 12 methods and 24 JUnit 4 tests (two per method)."""
    from gitrepos import calculator_repo

    return calculator_repo(tmp_path_factory.mktemp("repos") / "calc")
