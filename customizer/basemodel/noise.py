"""BART text infilling (Lewis et al. 2019, §2.2) for denoising pretraining on plain Java methods.

Spans whose lengths follow Poisson(λ=3) are each replaced by a single ``<mask>`` until ~30% of the tokens are
masked; a span of length 0 inserts a ``<mask>`` (the model must learn how many tokens a mask stands for, and
that a mask may stand for none). The target is the original method. Special tokens (``<s>``, ``</s>``) are
never masked: noise is applied to each run of ordinary tokens between them.

BART's other noise, *sentence permutation*, is left out: a Java method has no sentences whose order is free —
statement order carries data flow, and shuffled statements would teach the model to reorder code it should copy.

Spans are placed at random but never touch (at least one kept token between two masks), so every ``<mask>``
stands for exactly one drawn span and the masked share is exact up to rounding. Noise is a pure function of
the RNG: the trainer seeds one per step, so a resumed run draws the same noise at the same step.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection

import numpy as np

MASK_RATIO = 0.3
POISSON_LAMBDA = 3.0


def span_lengths(n_mask: int, rng: np.random.Generator, poisson_lambda: float = POISSON_LAMBDA) -> list[int]:
    """Poisson span lengths summing to exactly ``n_mask`` (the last span is cut to fit, as in fairseq's BART)."""
    lengths: list[int] = []
    total = 0
    while total < n_mask:
        for length in rng.poisson(poisson_lambda, size=max(4, n_mask)).tolist():
            if total + length >= n_mask:
                lengths.append(n_mask - total)
                total = n_mask
                break
            lengths.append(length)
            total += length
    return lengths


def _infill_run(run: np.ndarray, mask_id: int, rng: np.random.Generator, mask_ratio: float,
                poisson_lambda: float) -> list[np.ndarray]:
    n = len(run)
    n_mask = math.ceil(mask_ratio * n)
    if n_mask == 0:
        return [run]
    mask = np.asarray([mask_id], dtype=run.dtype)
    spans = span_lengths(n_mask, rng, poisson_lambda)
    keep = n - n_mask
    if keep == 0:  # a run shorter than one span: all of it becomes a single mask
        return [mask]
    # spans must be separated by kept tokens: at most keep + 1 of them fit; merge surplus spans into others
    while len(spans) > keep + 1:
        last = spans.pop()
        spans[int(rng.integers(len(spans)))] += last
    rng.shuffle(spans)
    # distribute the kept tokens into len(spans) + 1 gaps, the inner gaps at least one token long
    k = len(spans)
    free = keep - (k - 1)
    cuts = np.sort(rng.permutation(free + k)[:k]).tolist()
    parts: list[np.ndarray] = []
    pos, prev = 0, -1
    for j, (cut, span) in enumerate(zip(cuts, spans, strict=True)):
        gap = cut - prev - 1 + (j > 0)  # stars between bars; inner gaps get their separating token
        prev = cut
        parts += [run[pos:pos + gap], mask]
        pos += gap + span
    parts.append(run[pos:])
    return parts


def text_infill(ids: np.ndarray, mask_id: int, special_ids: Collection[int], rng: np.random.Generator,
                mask_ratio: float = MASK_RATIO, poisson_lambda: float = POISSON_LAMBDA) -> np.ndarray:
    """The noised copy of one token sequence: each run of non-special tokens loses ``ceil(mask_ratio × run)``
    tokens to Poisson-length spans, each span replaced by one ``mask_id``."""
    ids = np.asarray(ids)
    special = np.zeros(len(ids), dtype=bool)
    for sid in special_ids:
        special |= ids == sid
    # boundaries of the runs of equal "specialness"
    edges = [0, *(np.flatnonzero(special[1:] != special[:-1]) + 1).tolist(), len(ids)]
    parts: list[np.ndarray] = []
    for a, b in itertools.pairwise(edges):
        if a == b:
            continue
        if special[a]:
            parts.append(ids[a:b])
        else:
            parts += _infill_run(ids[a:b], mask_id, rng, mask_ratio, poisson_lambda)
    return np.concatenate(parts) if parts else ids.copy()
