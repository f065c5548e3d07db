"""Export the best checkpoint into the package (``customizer/base_model/``) as bf16 safetensors + tokenizer."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, GenerationConfig

from customizer.corpus.paths import replace_dir

PACKAGE_MODEL_DIR = Path(__file__).resolve().parent.parent / "base_model"


def export_checkpoint(checkpoint: Path, out: Path = PACKAGE_MODEL_DIR, name: str = "testtailor-base",
                      dtype: torch.dtype = torch.bfloat16, extra_meta: dict | None = None) -> Path:
    """Write ``checkpoint`` to ``out`` atomically (a sibling temp dir renamed into place)."""
    model = AutoModelForSeq2SeqLM.from_pretrained(checkpoint, local_files_only=True, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
    model = model.to(dtype)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".base_model-", dir=out.parent))
    model.generation_config = GenerationConfig(
        decoder_start_token_id=model.config.decoder_start_token_id, eos_token_id=model.config.eos_token_id,
        pad_token_id=model.config.pad_token_id, forced_eos_token_id=model.config.eos_token_id,
        num_beams=5, max_new_tokens=256)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    state = checkpoint / "training_state.json"
    meta = {"name": name, "source_checkpoint": str(checkpoint), "dtype": str(dtype).removeprefix("torch."),
            "params": sum(p.numel() for p in model.parameters()),
            "training_state": json.loads(state.read_text()) if state.exists() else None, **(extra_meta or {})}
    (tmp / "testtailor.json").write_text(json.dumps(meta, indent=1) + "\n")
    replace_dir(tmp, out)
    return out
