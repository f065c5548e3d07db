"""Pretokenized focal→test pairs as flat token arrays, and length-bucketed batches over them.

The arrays are small and portable (one ``.npz``), so the same data trains here or travels to a GPU machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from customizer.batching import collate_sequences
from customizer.batching import length_bucketed_batches as bucketed
from customizer.inputs import encode_source, encode_target, source_budget
from customizer.java.context import ContextLevel, render_input


@dataclass
class TokenizedPairs:
    src: np.ndarray  # flat token ids (int32)
    src_off: np.ndarray  # offsets, len n+1
    tgt: np.ndarray
    tgt_off: np.ndarray
    packages: np.ndarray  # package index per pair (for grouped statistics)

    def __len__(self) -> int:
        return len(self.src_off) - 1

    def source(self, i: int) -> np.ndarray:
        return self.src[self.src_off[i]:self.src_off[i + 1]]

    def target(self, i: int) -> np.ndarray:
        return self.tgt[self.tgt_off[i]:self.tgt_off[i + 1]]

    def lengths(self) -> tuple[np.ndarray, np.ndarray]:
        return np.diff(self.src_off), np.diff(self.tgt_off)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, src=self.src, src_off=self.src_off, tgt=self.tgt, tgt_off=self.tgt_off,
                            packages=self.packages)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> TokenizedPairs:
        with np.load(path) as z:
            return cls(z["src"], z["src_off"], z["tgt"], z["tgt_off"], z["packages"])

    def subset(self, idx: Iterable[int]) -> TokenizedPairs:
        idx = list(idx)
        return _pack([self.source(i) for i in idx], [self.target(i) for i in idx],
                     [int(self.packages[i]) for i in idx])


def _pack(srcs: list, tgts: list, pkgs: list[int]) -> TokenizedPairs:
    def flat(seqs: list) -> tuple[np.ndarray, np.ndarray]:
        off = np.zeros(len(seqs) + 1, dtype=np.int64)
        off[1:] = np.cumsum([len(s) for s in seqs])
        data = np.concatenate([np.asarray(s, dtype=np.int32) for s in seqs]) if seqs else np.zeros(0, np.int32)
        return data, off

    s, so = flat(srcs)
    t, to = flat(tgts)
    return TokenizedPairs(s, so, t, to, np.asarray(pkgs, dtype=np.int32))


def tokenize_pairs(tokenizer, pairs: Iterable[dict], max_source: int = 512, max_target: int = 384,
                   level: ContextLevel = ContextLevel.FULL) -> tuple[TokenizedPairs, dict]:
    """Encode pairs; tests longer than ``max_target`` are dropped, not cut, so the model always sees test ends.

    A pair dict with ``retrieval_k`` and ``retrieved`` (:func:`customizer.basemodel.retrieval_data.attach_retrieved`)
    gets those tests after its focal context, in the source budget the product gives k retrieved tests (clamped to
    the tokenizer's ``model_max_length``, as the product clamps it to the model's position table).
    """
    srcs, tgts, pkgs, names = [], [], [], {}
    dropped = 0
    limit = getattr(tokenizer, "model_max_length", None)  # the position table the tokenizer was saved with
    limit = int(limit) if isinstance(limit, int) and limit < 1_000_000 else None  # (unset: a huge sentinel)
    for p in pairs:
        focal, ctx = render_input(p["focal"]["body"], p["context"], level)
        tgt = encode_target(tokenizer, p["test"]["body"], max_tokens=1 << 30)  # same specials as personalization
        if len(tgt) > max_target:
            dropped += 1
            continue
        k = int(p.get("retrieval_k", 0))
        budget = source_budget(max_source, k, limit) if k else max_source
        srcs.append(encode_source(tokenizer, focal, ctx, budget, p.get("retrieved", ())))
        tgts.append(tgt)
        pkgs.append(names.setdefault(p.get("repo", ""), len(names)))
    stats = {"pairs": len(srcs), "dropped_long_target": dropped, "packages": len(names)}
    return _pack(srcs, tgts, pkgs), stats


def length_bucketed_batches(data: TokenizedPairs, max_tokens: int, rng: np.random.Generator,
                            max_batch: int = 256) -> list[np.ndarray]:
    """Index batches of similar length whose padded size (rows × longest row, src + tgt) stays under max_tokens.

    Lengths within 8 tokens are mixed (jitter 8) so epochs see different batches; the same ``rng`` state gives
    the same batches, which is what lets a run resume mid-epoch.
    """
    sl, tl = data.lengths()
    return bucketed(sl, tl, max_tokens, rng, max_batch=max_batch, jitter=8.0)


def collate(data: TokenizedPairs, idx: np.ndarray, pad_id: int, start_id: int,
            sources: TokenizedPairs | None = None, source_idx: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """Padded model inputs with decoder inputs (``start_id`` + target shifted right) and -100-padded labels.

    ``sources``/``source_idx`` take the sources from other rows (the shuffled-source validation).
    """
    src_data = sources if sources is not None else data
    s_idx = source_idx if source_idx is not None else idx
    return collate_sequences([src_data.source(i) for i in s_idx], [data.target(i) for i in idx], pad_id, start_id)
