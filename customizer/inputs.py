"""Model inputs: a focal method and its context → token ids, and a pair → (source ids, target ids).

The budget goes to the focal method first: ``context_text`` is truncated (from its end) before a single token
of the focal method is dropped, and the focal method is cut only when it alone exceeds the budget. Both
pieces are tokenized separately and concatenated, the same way at training and at generation time.

Retrieval-augmented input (``--retrieval k``) appends the project's nearest existing tests AFTER the focal
method and its context, each behind :data:`RETRIEVED_SEPARATOR`. They have the lowest priority: they get only
what the focal method and its context leave of the budget, shared fairly among them (short ones whole, long
ones cut from their end to an equal share); a test that would get fewer than :data:`MIN_RETRIEVED_TOKENS`
tokens is dropped, lowest-ranked first. So retrieval never cuts the focal method or its context.
:func:`source_budget` gives retrieval its own room (:data:`RETRIEVED_TOKENS_PER_TEST` per test) on top of the
plain budget, within the model's position table.

Special tokens follow the tokenizer: a BOS token is prepended when the tokenizer itself prepends one
(BART), and every sequence ends with EOS (T5 and BART both expect it; a bare tokenizer without a
post-processor would otherwise give targets that never teach the model to stop).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from customizer.java.context import ContextLevel, render_input
from customizer.mining.pairs import Pair
from customizer.strategies.base import StrategyInit

DEFAULT_MAX_SOURCE = 512
DEFAULT_MAX_TARGET = 256
RETRIEVED_SEPARATOR = "\n/* retrieved test */\n"  # marks where each retrieved (signature + test) begins
RETRIEVED_TOKENS_PER_TEST = 128  # extra source room per retrieved test (median signature + test: ~90 tokens)
MIN_RETRIEVED_TOKENS = 16  # a retrieved test cut shorter than this (after its separator) says nothing: dropped


def _special_wrapping(tokenizer: Any) -> tuple[list[int], list[int]]:
    """(prefix, suffix) special-token ids that wrap every sequence."""
    specials = tokenizer("", add_special_tokens=True)["input_ids"]
    bos = tokenizer.bos_token_id
    prefix = [bos] if specials and bos is not None and specials[0] == bos else []
    eos = tokenizer.eos_token_id
    suffix = [eos] if eos is not None else []
    return prefix, suffix


def _tokens(tokenizer: Any, text: str) -> list[int]:
    if not text:
        return []
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def position_limit(model: Any) -> int | None:
    """How many positions the model can attend to (BART's learned position table); None for relative ones (T5).

    Every source, target and generation length is clamped to this, so a small checkpoint never indexes past
    its position table.
    """
    config = getattr(model, "config", None)
    if getattr(config, "model_type", None) in ("t5", "mt5", "umt5", "longt5"):
        return None
    limit = getattr(config, "max_position_embeddings", None)
    return int(limit) if limit else None


def clamp_length(length: int, limit: int | None) -> int:
    return length if limit is None else min(length, limit)


def source_budget(max_source: int, retrieval: int, limit: int | None) -> int:
    """The source length for ``retrieval`` retrieved tests: the plain budget plus room for them, clamped.

    Training and generation both call this with the adapter's recorded values, so they build the same inputs.
    """
    return clamp_length(max_source + max(0, retrieval) * RETRIEVED_TOKENS_PER_TEST, limit)


def length_budget(model: Any, max_source: int = DEFAULT_MAX_SOURCE, max_target: int = DEFAULT_MAX_TARGET,
                  retrieval: int = 0) -> tuple[int, int]:
    """(source, target) token budgets for ``model``: :func:`source_budget` and the target clamped to its
    position table. Customization, evaluation and the benchmarks encode pairs with these."""
    limit = position_limit(model)
    return source_budget(max_source, retrieval, limit), clamp_length(max_target, limit)


def fair_shares(lengths: Sequence[int], budget: int) -> list[int]:
    """Split ``budget`` among items of ``lengths``: items shorter than an equal share keep their length, the
    others get equal shares of what is left (leftover tokens go to the better-ranked, earlier items)."""
    shares = [0] * len(lengths)
    remaining = max(0, budget)
    open_items = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    while open_items:
        share = remaining // len(open_items)
        shortest = open_items[0]
        if lengths[shortest] <= share:
            shares[shortest] = lengths[shortest]
            remaining -= lengths[shortest]
            open_items.pop(0)
            continue
        extra = remaining - share * len(open_items)
        for i in sorted(open_items):
            shares[i] = share + (1 if extra > 0 else 0)
            extra -= 1
        break
    return shares


def _retrieved_tokens(tokenizer: Any, retrieved: Sequence[str], budget: int) -> list[int]:
    """The retrieved texts, each behind the separator, fitted into ``budget`` (see the module docstring)."""
    if not retrieved or budget <= 0:
        return []
    separator = _tokens(tokenizer, RETRIEVED_SEPARATOR)
    items = [_tokens(tokenizer, text) for text in retrieved if text]
    while items:
        shares = fair_shares([len(separator) + len(item) for item in items], budget)
        if all(share >= len(separator) + min(MIN_RETRIEVED_TOKENS, len(item))
               for item, share in zip(items, shares, strict=True)):
            return [tok for item, share in zip(items, shares, strict=True)
                    for tok in (separator + item)[:share]]
        items.pop()  # too little room for all of them: drop the lowest-ranked one
    return []


def encode_source(tokenizer: Any, focal_text: str, context_text: str = "",
                  max_tokens: int = DEFAULT_MAX_SOURCE, retrieved: Sequence[str] = ()) -> list[int]:
    """Token ids of ``focal_text``, ``context_text`` and the ``retrieved`` tests, at most ``max_tokens`` long.

    The retrieved tests are cut first, then the context from its end; the focal method is cut (from its end)
    only when it alone does not fit. Without ``retrieved`` the ids are exactly those of focal + context.
    Raises ``ValueError`` when ``max_tokens`` cannot even hold the special tokens plus one token.
    """
    prefix, suffix = _special_wrapping(tokenizer)
    budget = max_tokens - len(prefix) - len(suffix)
    if budget < 1:
        raise ValueError(f"max_tokens={max_tokens} leaves no room for text after special tokens")
    focal = _tokens(tokenizer, focal_text)[:budget]
    if context_text and focal_text:
        context_text = " " + context_text  # tokenized as it reads after the focal method
    context = _tokens(tokenizer, context_text)[: budget - len(focal)]
    extra = _retrieved_tokens(tokenizer, retrieved, budget - len(focal) - len(context))
    return prefix + focal + context + extra + suffix


def encode_target(tokenizer: Any, test_text: str, max_tokens: int = DEFAULT_MAX_TARGET) -> list[int]:
    """Token ids of a test method (the decoder's labels), cut from its end to ``max_tokens`` with specials."""
    prefix, suffix = _special_wrapping(tokenizer)
    budget = max_tokens - len(prefix) - len(suffix)
    if budget < 1:
        raise ValueError(f"max_tokens={max_tokens} leaves no room for text after special tokens")
    return prefix + _tokens(tokenizer, test_text)[:budget] + suffix


def encode_pair(tokenizer: Any, pair: Pair, level: ContextLevel | str = ContextLevel.FULL,
                max_source: int = DEFAULT_MAX_SOURCE, max_target: int = DEFAULT_MAX_TARGET,
                retrieved: Sequence[str] = ()) -> tuple[list[int], list[int]]:
    """(source ids, target ids) of a mined pair at a context level (default: the richest), with the rendered
    retrieved tests (``customizer.retrieval.augment``) appended to the source."""
    focal_text, context_text = render_input(pair.focal.body, pair.context, level)
    return (encode_source(tokenizer, focal_text, context_text, max_source, retrieved),
            encode_target(tokenizer, pair.test.body, max_target))


def frequent_token_ids(tokenizer: Any, pairs: Iterable[Pair], n: int) -> list[int]:
    """The ``n`` most frequent non-special token ids of the pairs' focal and test methods, most frequent first.

    What prefix tuning is initialized from (paper §2.5).
    """
    texts = (text for pair in pairs for text in (pair.focal.body, pair.test.body))
    return StrategyInit.from_texts(tokenizer, texts, limit=n).frequent_token_ids
