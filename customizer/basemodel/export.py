"""Export the best checkpoint into the package (``customizer/base_model/``): weights (int8 row-wise, see
:mod:`customizer.int8_weights`, or bf16 safetensors), config, generation config, tokenizer and ``testtailor.json``."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, GenerationConfig

from customizer.corpus.paths import replace_dir
from customizer.int8_weights import save_int8_model

PACKAGE_MODEL_DIR = Path(__file__).resolve().parent.parent / "base_model"


def export_checkpoint(checkpoint: Path, out: Path = PACKAGE_MODEL_DIR, name: str = "testtailor-base",
                      dtype: torch.dtype = torch.bfloat16, extra_meta: dict | None = None,
                      weights: str = "int8") -> Path:
    """Write ``checkpoint`` to ``out`` atomically (a sibling temp dir renamed into place).

    ``weights``: ``int8`` (row-wise int8, a quarter of fp32) or ``bf16`` (``dtype`` safetensors).
    """
    if weights not in ("int8", "bf16"):
        raise ValueError(f"weights must be 'int8' or 'bf16', not {weights!r}")
    model = AutoModelForSeq2SeqLM.from_pretrained(checkpoint, local_files_only=True, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
    if weights == "bf16":
        model = model.to(dtype)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".base_model-", dir=out.parent))
    model.generation_config = GenerationConfig(
        decoder_start_token_id=model.config.decoder_start_token_id, eos_token_id=model.config.eos_token_id,
        pad_token_id=model.config.pad_token_id, forced_eos_token_id=model.config.eos_token_id,
        num_beams=5, max_new_tokens=256)
    if weights == "int8":
        save_int8_model(model, tmp)
    else:
        model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    state = checkpoint / "training_state.json"
    stored = "int8-rowwise" if weights == "int8" else str(dtype).removeprefix("torch.")
    meta = {"name": name, "source_checkpoint": str(checkpoint), "dtype": stored,
            "params": sum(p.numel() for p in model.parameters()),
            "training_state": json.loads(state.read_text()) if state.exists() else None, **(extra_meta or {})}
    (tmp / "testtailor.json").write_text(json.dumps(meta, indent=1) + "\n")
    for f in tmp.iterdir():  # mkdtemp and safetensors create owner-only files; the package is for everyone
        f.chmod(0o644)
    tmp.chmod(0o755)
    replace_dir(tmp, out)
    return out
