"""Metrics comparing a generated test with the developer-written one (paper §3.3, plus parse rate).

Tokenization (used by BLEU and exact match, and in the calibration note): *code tokens* are identifiers
(Unicode letters, digits, ``_`` and ``$``), numbers (with a fractional part and a type suffix) and every other
single non-space character. BLEU is sacrebleu's sentence BLEU-4 with its default (exponential) smoothing and
``tokenize="none"`` on the space-joined code tokens, on a 0–100 scale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sacrebleu

from customizer.java.snippets import parses_as_method

__all__ = ["bleu", "code_tokens", "exact_match", "identifiers", "parses_as_method", "style_similarity",
           "top_k_hits"]

_TOKEN = re.compile(r"[^\W\d][\w$]*|\$[\w$]*|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?[lLfFdD]?|\S")
_IDENT = re.compile(r"[^\W\d][\w$]*")


def code_tokens(code: str) -> list[str]:
    """Split Java code into code tokens (see module docstring)."""
    return _TOKEN.findall(code)


def bleu(hypothesis: str, reference: str) -> float:
    """Sentence BLEU-4 (0–100) on code tokens."""
    hyp = " ".join(code_tokens(hypothesis))
    ref = " ".join(code_tokens(reference))
    return sacrebleu.sentence_bleu(hyp, [ref], tokenize="none").score


def exact_match(hypothesis: str, reference: str) -> bool:
    """Equal up to whitespace (compared token by token, so ``a+b`` equals ``a + b``)."""
    return code_tokens(hypothesis) == code_tokens(reference)


def identifiers(code: str) -> list[str]:
    """Identifier tokens (keywords included; tf-idf down-weights what every test shares)."""
    return _IDENT.findall(code)


def top_k_hits(candidates: Sequence[str], reference: str, k: int, abstracted: bool = False) -> bool:
    """Whether any of the first ``k`` candidates matches the reference (exactly or after abstraction)."""
    if abstracted:
        from customizer.evaluate.abstraction import abstracted_match

        return any(abstracted_match(c, reference) for c in candidates[:k])
    return any(exact_match(c, reference) for c in candidates[:k])


def style_similarity(generated: Sequence[str], references: Sequence[str]) -> list[float]:
    """Per pair, the tf-idf cosine similarity of the identifiers of generated vs developer-written test.

    The vectorizer is fitted on both sides of one project's pairs, as the paper's coding-style comparison.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import paired_cosine_distances

    if not generated:
        return []
    vec = TfidfVectorizer(analyzer=identifiers, lowercase=False)
    vec.fit(list(generated) + list(references))
    distances = paired_cosine_distances(vec.transform(generated), vec.transform(references))
    return [float(1.0 - d) for d in distances]
