"""Plain Java methods as flat token arrays for denoising pretraining, and noised batches over them.

Same family as :class:`customizer.basemodel.data.TokenizedPairs` (flat int32 ids + offsets in one ``.npz``),
but one sequence per method: the clean method is the target, its source is drawn fresh by
:func:`customizer.basemodel.noise.text_infill` for every batch, so each epoch sees new noise.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from customizer.basemodel.noise import MASK_RATIO, POISSON_LAMBDA, text_infill
from customizer.batching import collate_sequences, length_bucketed_batches


@dataclass
class TokenizedMethods:
    ids: np.ndarray  # flat token ids (int32), each method wrapped in the tokenizer's specials
    off: np.ndarray  # offsets, len n+1
    packages: np.ndarray  # package index per method

    def __len__(self) -> int:
        return len(self.off) - 1

    def method(self, i: int) -> np.ndarray:
        return self.ids[self.off[i]:self.off[i + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.off)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, ids=self.ids, off=self.off, packages=self.packages)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TokenizedMethods:
        with np.load(path) as z:
            return cls(z["ids"], z["off"], z["packages"])

    @classmethod
    def pack(cls, seqs: list, packages: list[int]) -> TokenizedMethods:
        off = np.zeros(len(seqs) + 1, dtype=np.int64)
        off[1:] = np.cumsum([len(s) for s in seqs])
        ids = np.concatenate([np.asarray(s, dtype=np.int32) for s in seqs]) if seqs else np.zeros(0, np.int32)
        return cls(ids, off, np.asarray(packages, dtype=np.int32))

    def subset(self, idx: Iterable[int]) -> TokenizedMethods:
        idx = list(idx)
        return TokenizedMethods.pack([self.method(i) for i in idx], [int(self.packages[i]) for i in idx])


def _key(record: dict, seed: int) -> str:
    ident = f"{seed}:{record.get('package', '')}:{record.get('file', '')}:{record.get('method', '')}:"
    return hashlib.sha1((ident + record.get("text", "")).encode("utf-8", "replace")).hexdigest()


def select_methods(records: Iterable[dict], max_methods: int | None, seed: int = 0) -> list[dict]:
    """At most ``max_methods`` records, chosen by a seeded hash so the sample spreads over every package (the
    shards are ordered by package) and the same corpus and seed give the same choice; memory O(max_methods)."""
    if max_methods is None:
        return list(records)
    chosen = heapq.nsmallest(max_methods, enumerate(records), key=lambda nr: _key(nr[1], seed))
    return [r for _, r in sorted(chosen, key=lambda nr: nr[0])]


def tokenize_methods(tokenizer, records: Iterable[dict], max_tokens: int = 512,
                     chunk: int = 1000) -> tuple[TokenizedMethods, dict]:
    """Encode method texts wrapped in the same specials as a test target (:func:`customizer.inputs.encode_target`);
    methods longer than ``max_tokens`` are dropped (not cut: the model should see whole methods), as are methods
    whose text already contains a special token. Texts are encoded ``chunk`` at a time (the fast tokenizer's batch
    call is about twice as fast as one call per method)."""
    from customizer.inputs import _special_wrapping

    prefix, suffix = _special_wrapping(tokenizer)
    special = set(tokenizer.all_special_ids)
    seqs, pkgs, names = [], [], {}
    dropped_long = dropped_special = 0
    records = iter(records)
    while batch := list(itertools.islice(records, chunk)):
        encoded = tokenizer([r["text"] for r in batch], add_special_tokens=False)["input_ids"]
        for r, ids in zip(batch, encoded, strict=True):
            if len(ids) + len(prefix) + len(suffix) > max_tokens:
                dropped_long += 1
            elif any(t in special for t in ids):
                dropped_special += 1
            else:
                seqs.append([*prefix, *ids, *suffix])
                pkgs.append(names.setdefault(r.get("package", ""), len(names)))
    stats = {"methods": len(seqs), "dropped_long": dropped_long, "dropped_special": dropped_special,
             "packages": len(names)}
    return TokenizedMethods.pack(seqs, pkgs), stats


def expected_source_ratio(mask_ratio: float = MASK_RATIO, poisson_lambda: float = POISSON_LAMBDA) -> float:
    """Noised length / clean length on average: the kept tokens plus one mask per span."""
    return 1 - mask_ratio + mask_ratio / poisson_lambda


def denoise_batches(data: TokenizedMethods, max_tokens: int, rng: np.random.Generator,
                    max_batch: int = 256) -> list[np.ndarray]:
    """Length-bucketed batches; the clean length bounds the source (noise only shortens it, bar rare inserts)."""
    lengths = data.lengths()
    return length_bucketed_batches(lengths, lengths, max_tokens, rng, max_batch=max_batch, jitter=8.0)


def denoise_collate(data: TokenizedMethods, idx: np.ndarray, rng: np.random.Generator, mask_id: int,
                    special_ids: Iterable[int], pad_id: int, start_id: int) -> dict[str, torch.Tensor]:
    """A padded batch: noised methods in, the clean methods as labels (decoder inputs shifted right)."""
    special = list(special_ids)
    targets = [data.method(i) for i in idx]
    sources = [text_infill(t, mask_id, special, rng) for t in targets]
    return collate_sequences(sources, targets, pad_id, start_id)
