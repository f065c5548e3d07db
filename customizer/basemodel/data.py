"""Pretokenized focal→test pairs as flat token arrays, and length-bucketed batches over them.

The arrays are small and portable (one ``.npz``), so the same data trains here or travels to a GPU machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from customizer.inputs import encode_source, encode_target
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


def iter_pair_dicts(files: Iterable[Path]) -> Iterator[dict]:
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def tokenize_pairs(tokenizer, pairs: Iterable[dict], max_source: int = 512, max_target: int = 384,
                   level: ContextLevel = ContextLevel.FULL) -> tuple[TokenizedPairs, dict]:
    """Encode pairs; tests longer than ``max_target`` are dropped, not cut, so the model always sees test ends."""
    srcs, tgts, pkgs, names = [], [], [], {}
    dropped = 0
    for p in pairs:
        focal, ctx = render_input(p["focal"]["body"], p["context"], level)
        tgt = encode_target(tokenizer, p["test"]["body"], max_tokens=1 << 30)  # same specials as personalization
        if len(tgt) > max_target:
            dropped += 1
            continue
        srcs.append(encode_source(tokenizer, focal, ctx, max_source))
        tgts.append(tgt)
        pkgs.append(names.setdefault(p.get("repo", ""), len(names)))
    stats = {"pairs": len(srcs), "dropped_long_target": dropped, "packages": len(names)}
    return _pack(srcs, tgts, pkgs), stats


def length_bucketed_batches(data: TokenizedPairs, max_tokens: int, rng: np.random.Generator,
                            max_batch: int = 256) -> list[np.ndarray]:
    """Index batches of similar length whose padded size (rows × longest row, src + tgt) stays under max_tokens."""
    sl, tl = data.lengths()
    noisy = sl + tl + rng.uniform(0, 8, size=len(sl))  # shuffle within equal lengths
    order = np.argsort(noisy, kind="stable")
    batches, cur, cur_s, cur_t = [], [], 0, 0
    for i in order:
        s, t = max(cur_s, sl[i]), max(cur_t, tl[i])
        if cur and ((len(cur) + 1) * (s + t) > max_tokens or len(cur) >= max_batch):
            batches.append(np.asarray(cur))
            cur, s, t = [], sl[i], tl[i]
        cur.append(i)
        cur_s, cur_t = s, t
    if cur:
        batches.append(np.asarray(cur))
    rng.shuffle(batches)
    return batches


def collate(data: TokenizedPairs, idx: np.ndarray, pad_id: int, start_id: int,
            sources: TokenizedPairs | None = None, source_idx: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """A padded batch: decoder input = start + target[:-1], labels = target (-100 on padding).

    ``sources``/``source_idx`` swap in other sources (the shuffle test of whether the model reads its input).
    """
    src_data = sources if sources is not None else data
    s_idx = source_idx if source_idx is not None else idx
    srcs = [src_data.source(i) for i in s_idx]
    tgts = [data.target(i) for i in idx]
    ls, lt = max(len(s) for s in srcs), max(len(t) for t in tgts)
    input_ids = torch.full((len(idx), ls), pad_id, dtype=torch.long)
    dec_in = torch.full((len(idx), lt), pad_id, dtype=torch.long)
    labels = torch.full((len(idx), lt), -100, dtype=torch.long)
    for r, (s, t) in enumerate(zip(srcs, tgts, strict=True)):
        input_ids[r, : len(s)] = torch.from_numpy(s.astype(np.int64))
        tt = torch.from_numpy(t.astype(np.int64))
        dec_in[r, 0] = start_id
        dec_in[r, 1 : len(t)] = tt[:-1]
        labels[r, : len(t)] = tt
    return {"input_ids": input_ids, "attention_mask": (input_ids != pad_id).long(),
            "decoder_input_ids": dec_in, "decoder_attention_mask": (dec_in != pad_id).long(), "labels": labels}
