"""BM25 over the code tokens of a repository's focal methods (``rank-bm25``).

Why BM25 over sub-tokens: focal methods of one project share vocabulary (domain names, helper calls), and
lexical overlap of split identifiers (``addLineItem`` → ``add line item``) is a strong, cheap signal that
needs no model; the calibration note measured BLEU 28–43 for the nearest test on dev-eval. Building the index
for a 3,000-pair project takes well under a second, so it is rebuilt from the mined pairs rather than stored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Okapi
from scipy.sparse import csc_matrix

from customizer.evaluate.metrics import code_tokens
from customizer.mining.pairs import Pair

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_JAVA_NOISE = frozenset(
    [
        "public",
        "private",
        "protected",
        "static",
        "final",
        "void",
        "return",
        "new",
        "this",
        "if",
        "else",
        "for",
        "while",
        "int",
    ]
)


def camel_words(identifier: str) -> list[str]:
    """Lower-cased camelCase / snake_case parts: ``parseHTTPHeader2`` → ``parse``, ``http``, ``header``, ``2``."""
    return [p.lower() for p in _CAMEL.findall(identifier)]


def search_terms(code: str) -> list[str]:
    """Lower-cased identifier sub-tokens (camelCase and snake_case split), keywords and punctuation dropped."""
    terms: list[str] = []
    for tok in code_tokens(code):
        if not (tok[0].isalpha() or tok[0] in "_$"):
            continue
        if tok in _JAVA_NOISE:
            continue
        parts = camel_words(tok)
        terms.extend(parts)
        if len(parts) > 1:
            terms.append(tok.lower())
    return terms


@dataclass(frozen=True)
class Retrieved:
    pair: Pair
    score: float


class RetrievalIndex:
    """Nearest existing (focal, test) pairs of one repository for a query focal method.

    Scores are ``rank-bm25``'s BM25Okapi (its idf with the epsilon floor, k1, b), precomputed once into a sparse
    document × term matrix so that a query is one sparse product instead of a Python loop over every document
    per query term: the language server pays for it on every resolve (bench/bench_retrieval.py).
    """

    def __init__(self, pairs: Sequence[Pair]) -> None:
        self.pairs = list(pairs)
        docs = [search_terms(p.focal.signature + " " + p.focal.body + " " + p.focal.class_) for p in self.pairs]
        self._bm25 = BM25Okapi(docs) if self.pairs else None
        self._vocab: dict[str, int] = {}
        self._weights: csc_matrix | None = None
        self._id_rank = np.argsort(np.argsort([p.id for p in self.pairs], kind="stable"), kind="stable")
        if self._bm25 is not None:
            self._vocab, self._weights = _bm25_weights(self._bm25)

    def __len__(self) -> int:
        return len(self.pairs)

    def scores(self, focal_body: str, class_name: str = "") -> np.ndarray:
        """BM25 score of every pair for a query method (equal to ``BM25Okapi.get_scores``)."""
        if self._weights is None:
            return np.zeros(0)
        counts = Counter(t for t in search_terms(focal_body + " " + class_name) if t in self._vocab)
        if not counts:
            return np.zeros(len(self.pairs))
        weights, scores = self._weights, np.zeros(len(self.pairs))
        for term, count in counts.items():  # add each query term's column (CSC: its documents and weights)
            start, end = weights.indptr[self._vocab[term]], weights.indptr[self._vocab[term] + 1]
            scores[weights.indices[start:end]] += count * weights.data[start:end]
        return scores

    def query(
        self, focal_body: str, k: int = 1, class_name: str = "", exclude_focal: tuple[str, str] | None = None,
        exclude_ids: Collection[str] = (),
    ) -> list[Retrieved]:
        """The ``k`` best pairs (ties: by pair id); ``exclude_focal`` = (file, signature) drops the query
        method's own tests, ``exclude_ids`` drops pairs by id (leave-one-out)."""
        if self._bm25 is None or k <= 0:
            return []
        scores = self.scores(focal_body, class_name)
        order = np.lexsort((self._id_rank, -scores))
        out: list[Retrieved] = []
        for i in order.tolist():
            p = self.pairs[i]
            if (exclude_focal and (p.focal.file, p.focal.signature) == exclude_focal) or p.id in exclude_ids:
                continue
            out.append(Retrieved(p, float(scores[i])))
            if len(out) == k:
                break
        return out


def _bm25_weights(bm25: BM25Okapi) -> tuple[dict[str, int], csc_matrix]:
    """(term → column, documents × terms matrix of each term's BM25 contribution to each document's score)."""
    vocab = {term: i for i, term in enumerate(bm25.idf)}
    rows: list[int] = []
    cols: list[int] = []
    values: list[float] = []
    for doc, freqs in enumerate(bm25.doc_freqs):
        norm = bm25.k1 * (1 - bm25.b + bm25.b * bm25.doc_len[doc] / bm25.avgdl)
        for term, freq in freqs.items():
            rows.append(doc)
            cols.append(vocab[term])
            values.append(bm25.idf[term] * freq * (bm25.k1 + 1) / (freq + norm))
    return vocab, csc_matrix((values, (rows, cols)), shape=(len(bm25.doc_freqs), len(vocab)))
