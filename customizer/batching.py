"""Length-bucketed batches and padded seq2seq tensors: the one implementation behind every training loop.

Customization (:mod:`customizer.train`) and base-model training (:mod:`customizer.basemodel`) both pack
examples of similar length together so that little compute goes to padding; keeping a single implementation
means a fix to the packing rule or to padding reaches both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

IGNORE = -100  # label value that cross-entropy skips


def length_bucketed_batches(src_lengths: Sequence[int] | np.ndarray, tgt_lengths: Sequence[int] | np.ndarray,
                            max_tokens: int, rng: np.random.Generator, max_batch: int | None = None,
                            jitter: float = 1.0) -> list[np.ndarray]:
    """Index batches of similar length whose padded size (rows × (longest source + longest target)) stays
    within ``max_tokens`` (a longer example forms its own batch), in random order.

    Examples are sorted by ``source + target`` length plus uniform noise in ``[0, jitter)``: with the default
    ``jitter=1`` only equal lengths are shuffled among themselves; a larger jitter mixes nearby lengths too, so
    batches differ more between epochs at the cost of a little more padding.
    """
    sl = np.asarray(src_lengths, dtype=np.int64)
    tl = np.asarray(tgt_lengths, dtype=np.int64)
    noisy = sl + tl + rng.uniform(0, jitter, size=len(sl))
    order = np.argsort(noisy, kind="stable")
    batches: list[np.ndarray] = []
    cur: list[int] = []
    cur_s = cur_t = 0
    for i in order:
        s, t = max(cur_s, sl[i]), max(cur_t, tl[i])
        if cur and ((len(cur) + 1) * (s + t) > max_tokens or (max_batch is not None and len(cur) >= max_batch)):
            batches.append(np.asarray(cur))
            cur, s, t = [], sl[i], tl[i]
        cur.append(int(i))
        cur_s, cur_t = s, t
    if cur:
        batches.append(np.asarray(cur))
    rng.shuffle(batches)
    return batches


def _pad(rows: Sequence[Sequence[int] | np.ndarray], value: int) -> torch.Tensor:
    out = torch.full((len(rows), max(len(r) for r in rows)), value, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.as_tensor(np.asarray(r, dtype=np.int64))
    return out


def collate_sequences(sources: Sequence[Sequence[int] | np.ndarray], targets: Sequence[Sequence[int] | np.ndarray],
                      pad_id: int, start_id: int | None = None) -> dict[str, torch.Tensor]:
    """Padded ``input_ids``, ``attention_mask`` and ``labels`` (padded with -100) for a batch.

    With ``start_id`` the decoder inputs are built here too (``start_id`` followed by the target shifted right,
    and their attention mask); without it the model derives them from the labels itself.
    """
    input_ids = _pad(sources, pad_id)
    mask = torch.zeros_like(input_ids)
    for i, s in enumerate(sources):
        mask[i, : len(s)] = 1
    batch = {"input_ids": input_ids, "attention_mask": mask, "labels": _pad(targets, IGNORE)}
    if start_id is not None:
        dec_in = _pad([[start_id, *np.asarray(t[:-1], dtype=np.int64).tolist()] for t in targets], pad_id)
        batch["decoder_input_ids"] = dec_in
        batch["decoder_attention_mask"] = (dec_in != pad_id).long()
    return batch
