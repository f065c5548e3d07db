"""BART text infilling: ~30% of tokens in Poisson(3) spans, one <mask> per span, specials kept, seeded."""

import math

import numpy as np
import pytest

from customizer.basemodel.noise import span_lengths, text_infill

BOS, PAD, EOS, UNK, MASK = 0, 1, 2, 3, 4
SPECIAL = (BOS, PAD, EOS, UNK, MASK)


def _align(clean: np.ndarray, noised: np.ndarray) -> tuple[list[int], list[int]]:
    """Span lengths behind each <mask> and the kept tokens, for a clean run of distinct ids."""
    spans, kept, pos = [], [], 0
    for tok in noised.tolist():
        if tok == MASK:
            spans.append(None)
            continue
        nxt = clean.tolist().index(tok, pos)
        if spans and spans[-1] is None:
            spans[-1] = nxt - pos
        elif nxt != pos:
            raise AssertionError("tokens were dropped without a mask")
        kept.append(tok)
        pos = nxt + 1
    if spans and spans[-1] is None:
        spans[-1] = len(clean) - pos
    return spans, kept


def _content(n: int) -> np.ndarray:
    return np.arange(10, 10 + n, dtype=np.int32)  # distinct ids so the alignment is exact


def test_masked_share_is_thirty_percent_and_kept_tokens_stay_in_order():
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 40, 150, 400):
        clean = _content(n)
        noised = text_infill(np.r_[BOS, clean, EOS], MASK, SPECIAL, rng)
        assert noised[0] == BOS and noised[-1] == EOS
        spans, kept = _align(clean, noised[1:-1])
        assert sum(spans) == math.ceil(0.3 * n)  # exactly the budget, never more
        assert kept == sorted(kept)
        assert len(kept) + sum(spans) == n
        # masks never touch: each stands for one span
        assert not ((noised[:-1] == MASK) & (noised[1:] == MASK)).any()


def test_span_lengths_follow_poisson_3():
    rng = np.random.default_rng(1)
    spans: list[int] = []
    for _ in range(600):
        clean = _content(300)
        spans += _align(clean, text_infill(np.r_[BOS, clean, EOS], MASK, SPECIAL, rng)[1:-1])[0]
    spans_arr = np.asarray(spans)
    assert len(spans_arr) > 10_000
    # the last span of each sequence is cut to the budget, which lowers the mean a little
    assert 2.8 < spans_arr.mean() < 3.1
    assert 2.5 < spans_arr.var() < 3.3
    for k in range(0, 7):  # the histogram matches the Poisson(3) pmf (0-length spans insert a mask)
        pmf = math.exp(-3) * 3**k / math.factorial(k)
        assert abs((spans_arr == k).mean() - pmf) < 0.015, k
    assert sum(span_lengths(57, rng)) == 57


def test_special_tokens_are_never_masked_even_inside_a_sequence():
    rng = np.random.default_rng(2)
    clean = np.r_[BOS, _content(30), EOS, _content(30) + 100, UNK, PAD, EOS].astype(np.int32)
    for _ in range(50):
        noised = text_infill(clean, MASK, SPECIAL, rng)
        assert [t for t in noised.tolist() if t in SPECIAL and t != MASK] == [BOS, EOS, UNK, PAD, EOS]
        first_eos = noised.tolist().index(EOS)
        spans, _ = _align(clean[1:31], noised[1:first_eos])  # each run is noised on its own
        assert sum(spans) == 9


def test_noise_is_a_function_of_the_seed():
    clean = np.r_[BOS, _content(120), EOS]
    a = text_infill(clean, MASK, SPECIAL, np.random.default_rng(7))
    b = text_infill(clean, MASK, SPECIAL, np.random.default_rng(7))
    c = text_infill(clean, MASK, SPECIAL, np.random.default_rng(8))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.dtype == clean.dtype


@pytest.mark.parametrize("ratio", [0.15, 0.5])
def test_mask_ratio_is_a_parameter(ratio):
    clean = _content(200)
    noised = text_infill(np.r_[BOS, clean, EOS], MASK, SPECIAL, np.random.default_rng(3), mask_ratio=ratio)
    assert sum(_align(clean, noised[1:-1])[0]) == math.ceil(ratio * 200)
