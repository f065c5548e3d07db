"""Views of a tokenizer's vocabulary the decoding pieces share (token texts, masks), built once per tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch

_VOCABULARY_VIEWS: dict[tuple[str, int, int, str], Any] = {}


def per_tokenizer(tokenizer: Any, view: str, build: Callable[[], Any]) -> Any:
    """``build()``, made once per tokenizer and ``view``: the vocabulary-wide lists and masks the processors of
    every ``generate`` call share."""
    key = (str(getattr(tokenizer, "name_or_path", "")), len(tokenizer), id(tokenizer), view)
    if key not in _VOCABULARY_VIEWS:
        _VOCABULARY_VIEWS[key] = build()
    return _VOCABULARY_VIEWS[key]


def token_texts(tokenizer: Any) -> list[str]:
    """The text of every token of the vocabulary on its own (cached per tokenizer; do not modify)."""
    return per_tokenizer(tokenizer, "texts", lambda: tokenizer.batch_decode(
        [[i] for i in range(len(tokenizer))], clean_up_tokenization_spaces=False))


def plain_token_texts(tokenizer: Any) -> list[str]:
    """:func:`token_texts` with the special tokens' texts blanked, as ``skip_special_tokens`` decodes them."""
    def build() -> list[str]:
        special = set(tokenizer.all_special_ids)
        return ["" if i in special else piece for i, piece in enumerate(token_texts(tokenizer))]
    return per_tokenizer(tokenizer, "plain-texts", build)


def identifier_continuation_mask(tokenizer: Any) -> torch.Tensor:
    """Boolean mask over the vocabulary: tokens that continue an identifier (letters, digits, ``_``, ``$`` and
    nothing else, no leading space; cached per tokenizer; do not modify)."""
    return per_tokenizer(tokenizer, "identifier-continuation", lambda: torch.tensor(
        [bool(re.fullmatch(r"[\w$]+", piece, flags=re.ASCII)) for piece in plain_token_texts(tokenizer)],
        dtype=torch.bool))


def newline_token_mask(tokenizer: Any) -> torch.Tensor:
    """Boolean mask over the vocabulary: tokens whose text holds a newline (cached per tokenizer; do not modify)."""
    return per_tokenizer(tokenizer, "newline", lambda: torch.tensor(
        ["\n" in piece for piece in token_texts(tokenizer)], dtype=torch.bool))
