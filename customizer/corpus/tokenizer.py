"""Byte-level BPE tokenizer for the base model, trained on the final corpus (methods + training pairs).

Vocabulary 16,384 with BART's special tokens ``<s> <pad> </s> <unk> <mask>`` at ids 0..4; saved as a
``transformers`` ``PreTrainedTokenizerFast`` directory (``~/.cache/testtailor-dev/tokenizer/``) with
``stats.json`` (training text, validation-shard token counts).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from customizer.corpus.errors import CorpusError
from customizer.corpus.jsonl import read_jsonl
from customizer.corpus.merge import percentiles
from customizer.corpus.paths import atomic_write_json, cache_root, corpus_layout, replace_dir

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
VOCAB_SIZE = 16_384
MAX_BYTES = 200_000_000
JSON_OVERHEAD = 1.35  # methods JSONL bytes per byte of method text, roughly


def _sampled(text: str, rate: float) -> bool:
    if rate >= 1:
        return True
    bucket = int.from_bytes(hashlib.sha1(text.encode("utf-8", errors="replace")).digest()[:4], "big")
    return bucket / 2**32 < rate


def training_texts(final: Path, max_bytes: int, counter: dict[str, int]) -> Iterator[str]:
    """Training pairs' focal methods and tests (all of them, up to ``max_bytes``), then a hash sample of methods."""
    pair_files = sorted(final.glob("pairs-*.jsonl"))
    method_files = sorted(final.glob("methods-*.jsonl"))
    if not pair_files and not method_files:
        raise CorpusError(f"no corpus in {final}; run `testtailor corpus merge` first")

    def take(text: str) -> bool:
        size = len(text.encode("utf-8", errors="replace"))
        if counter["bytes"] + size > max_bytes:
            return False
        counter["bytes"] += size
        counter["texts"] += 1
        return True

    for path in pair_files:
        for pair in read_jsonl(path):
            for text in (pair["focal"]["body"], pair["test"]["body"]):
                if not take(text):
                    return
                yield text
    method_bytes = sum(p.stat().st_size for p in method_files) / JSON_OVERHEAD
    rate = (max_bytes - counter["bytes"]) / method_bytes if method_bytes else 1.0
    for path in method_files:
        for method in read_jsonl(path):
            if _sampled(method["text"], rate):
                if not take(method["text"]):
                    return
                yield method["text"]


def build_tokenizer(texts: Iterator[str], vocab_size: int = VOCAB_SIZE, model_max_length: int = 1024) -> Any:
    """Train a byte-level BPE on ``texts``; return a ``PreTrainedTokenizerFast`` (BART-style post-processing)."""
    from tokenizers import ByteLevelBPETokenizer, processors
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer(add_prefix_space=False, trim_offsets=False)
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIAL_TOKENS,
                            show_progress=False)
    inner = bpe._tokenizer
    inner.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=False,
                                                        add_prefix_space=False)
    for i, token in enumerate(SPECIAL_TOKENS):
        if inner.token_to_id(token) != i:
            raise CorpusError(f"special token {token} got id {inner.token_to_id(token)}, expected {i}")
    return PreTrainedTokenizerFast(tokenizer_object=inner, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   unk_token="<unk>", mask_token="<mask>", model_max_length=model_max_length)


def context_text(pair: dict[str, Any]) -> str:
    """A plain rendering of the focal class context (class name, constructors, method signatures, fields)."""
    ctx = pair.get("context") or {}
    parts = [f"class {ctx.get('class_name', '')}"]
    for key in ("fields", "constructors", "methods"):
        parts += list(ctx.get(key) or [])
    return "\n".join(parts)


def validation_stats(tokenizer: Any, val_file: Path) -> dict[str, Any]:
    """Token counts (with ``<s>``/``</s>``) of sources and targets of the validation shard."""
    focal, with_context, target = [], [], []
    total_bytes = total_tokens = 0
    for pair in read_jsonl(val_file):
        f = len(tokenizer(pair["focal"]["body"])["input_ids"])
        c = len(tokenizer(pair["focal"]["body"] + "\n// context\n" + context_text(pair))["input_ids"])
        t = len(tokenizer(pair["test"]["body"])["input_ids"])
        focal.append(f)
        with_context.append(c)
        target.append(t)
        total_bytes += len((pair["focal"]["body"] + pair["test"]["body"]).encode("utf-8", errors="replace"))
        total_tokens += f + t - 4
    return {
        "pairs": len(target),
        "source_focal": percentiles(focal),
        "source_focal_context": percentiles(with_context),
        "target": percentiles(target),
        "source_mean": percentiles(focal).get("mean"),
        "source_context_mean": percentiles(with_context).get("mean"),
        "target_mean": percentiles(target).get("mean"),
        "bytes_per_token": round(total_bytes / total_tokens, 2) if total_tokens else None,
    }


def train_tokenizer(
    vocab_size: int = VOCAB_SIZE, max_bytes: int = MAX_BYTES, out: Path | None = None, final: Path | None = None
) -> dict[str, Any]:
    """Train on the final corpus, save to ``out`` (atomically) with ``stats.json``; return the stats."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    final = final or corpus_layout().final
    out = out or cache_root() / "tokenizer"
    counter = {"bytes": 0, "texts": 0}
    tokenizer = build_tokenizer(training_texts(final, max_bytes, counter), vocab_size)
    stats: dict[str, Any] = {
        "path": str(out), "vocab_size": len(tokenizer), "special_tokens": SPECIAL_TOKENS,
        "training_bytes": counter["bytes"], "training_texts": counter["texts"],
        "validation": validation_stats(tokenizer, final / "val-000.jsonl"),
    }
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer.save_pretrained(tmp)
    atomic_write_json(tmp / "stats.json", stats)
    replace_dir(tmp, out)
    return stats
