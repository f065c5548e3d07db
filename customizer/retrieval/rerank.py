"""Re-rank the BM25 neighbours of a query method by how good a test each makes once adapted to it.

BM25 finds focal methods that *share words* with the query; whether the neighbour's test, renamed, is a good test
*for the query* also depends on things BM25 cannot see: whether the two methods take as many parameters (then the
parameters map and the call keeps its shape), return the same kind of thing (a test asserting on a ``BigDecimal``
result is a poor model for a ``void`` method), live in the same class (same fixture, same setup), are both
constructors, and whether the renamed test still names the query method and uses its words.

The weights are learned, not chosen: ``scripts/train_reranker.py`` mines the pretraining packages (never the dev-eval
ones), makes method- and class-split queries as the evaluation does, and fits a model of the BLEU of each
adapted neighbour against the query's developer test (centred per query, so it learns which neighbour is better,
not which query is easy) with scikit-learn's gradient-boosted trees. The result is ``reranker.json`` beside this
module: feature names, the trees as plain arrays (no pickle: nothing executes on load, no scikit-learn version
to match, and the language server does not import scikit-learn), how many BM25 neighbours it looks at, and what it
was measured to gain. Scoring ten neighbours is a few hundred NumPy operations, well under a millisecond.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from customizer.evaluate.metrics import code_tokens, identifiers
from customizer.mining.pairs import Pair
from customizer.retrieval.index import camel_words, search_terms
from customizer.retrieval.rename import parse_method, squeeze

WEIGHTS_FILE = Path(__file__).with_name("reranker.json")

FEATURES = (
    "bm25_relative",  # score / the best score of this query (1.0 for BM25's first)
    "bm25_log",  # log(1 + score)
    "rank_log",  # log(1 + BM25 rank), 0 for the first
    "same_class",  # the neighbour's focal method is in the query's class
    "same_name",  # an overload of the query (or the same name in another class)
    "name_overlap",  # Jaccard of the camelCase words of the two method names
    "same_arity",  # as many parameters: the parameters map by position
    "arity_gap",  # |difference in parameter count|, capped at 3
    "same_return",  # same return type (whitespace ignored)
    "void_mismatch",  # one returns void, the other does not
    "type_overlap",  # Jaccard of the parameter type multisets
    "constructor_mismatch",  # one is a constructor, the other not
    "static_mismatch",  # one is static, the other not
    "test_length_log",  # log(1 + code tokens of the neighbour's test)
    "focal_length_ratio",  # |log(query focal tokens / neighbour focal tokens)|
    "names_query",  # the adapted test mentions the query method's name
    "query_words_in_test",  # share of the query method's words (camelCase-split) found in the adapted test
)


@dataclass(frozen=True)
class Neighbour:
    """One BM25 neighbour of a query: its pair, BM25 score and the test adapted to the query."""

    pair: Pair
    score: float
    adapted: str


def _token_count(code: str) -> int:
    return len(code_tokens(code))


def _words_of(code: str) -> set[str]:
    """``set(search_terms(code))``, computed on the distinct tokens only (a long test repeats most of them)."""
    return set(search_terms(" ".join(set(code_tokens(code)))))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _multiset(items: Sequence[str]) -> set[str]:
    """``["int", "int"]`` → ``{"int#1", "int#2"}``: a set in which repeats count."""
    seen: dict[str, int] = {}
    out = set()
    for item in items:
        seen[item] = seen.get(item, 0) + 1
        out.add(f"{item}#{seen[item]}")
    return out


def neighbour_features(query_focal: str, query_class: str, neighbours: Sequence[Neighbour]) -> np.ndarray:
    """The ``len(neighbours)`` × ``len(FEATURES)`` feature matrix, neighbours in BM25 order."""
    q = parse_method(query_focal)
    top = max((n.score for n in neighbours), default=0.0)
    q_tokens = _token_count(query_focal)
    q_words = set(search_terms(query_focal))
    q_name = q.name if q else ""
    rows = []
    for rank, n in enumerate(neighbours):
        r = parse_method(n.pair.focal.body)
        row = {
            "bm25_relative": n.score / top if top > 0 else 0.0,
            "bm25_log": math.log1p(max(n.score, 0.0)),
            "rank_log": math.log1p(rank),
            "same_class": float(n.pair.focal.class_ == query_class),
            "test_length_log": math.log1p(_token_count(n.pair.test.body)),
            "focal_length_ratio": abs(math.log((q_tokens + 1) / (_token_count(n.pair.focal.body) + 1))),
            "names_query": float(bool(q_name) and q_name in identifiers(n.adapted)),
            "query_words_in_test": len(q_words & _words_of(n.adapted)) / len(q_words) if q_words else 0.0,
        }
        if q is not None and r is not None:
            q_void = (q.return_type or "void") == "void"
            r_void = (r.return_type or "void") == "void"
            row.update({
                "same_name": float(q.name == r.name),
                "name_overlap": _jaccard(set(camel_words(q.name)), set(camel_words(r.name))),
                "same_arity": float(len(q.parameter_names) == len(r.parameter_names)),
                "arity_gap": float(min(abs(len(q.parameter_names) - len(r.parameter_names)), 3)),
                "same_return": float(squeeze(q.return_type) == squeeze(r.return_type)),
                "void_mismatch": float(q_void != r_void),
                "type_overlap": _jaccard(_multiset([squeeze(t) for t in q.parameter_types]),
                                         _multiset([squeeze(t) for t in r.parameter_types])),
                "constructor_mismatch": float(q.is_constructor != r.is_constructor),
                "static_mismatch": float(("static" in q.modifiers) != ("static" in r.modifiers)),
            })
        rows.append([row.get(name, 0.0) for name in FEATURES])
    return np.asarray(rows, dtype=np.float64).reshape(len(neighbours), len(FEATURES))


@dataclass(frozen=True)
class Tree:
    """One regression tree in flat arrays (sklearn's HistGradientBoosting layout): node ``i`` sends a row left when
    its ``feature[i]`` value is ``<= threshold[i]``; a leaf holds ``value``."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    is_leaf: np.ndarray

    @classmethod
    def from_json(cls, data: dict) -> Tree:
        return cls(feature=np.asarray(data["feature"], dtype=np.int64),
                   threshold=np.asarray(data["threshold"], dtype=np.float64),
                   left=np.asarray(data["left"], dtype=np.int64), right=np.asarray(data["right"], dtype=np.int64),
                   value=np.asarray(data["value"], dtype=np.float64),
                   is_leaf=np.asarray(data["is_leaf"], dtype=bool))


class _Forest:
    """All trees stacked into (trees × nodes) arrays, padded, so every row walks every tree in one NumPy step per
    level instead of a Python loop over trees."""

    def __init__(self, trees: Sequence[Tree]) -> None:
        width = max((len(t.value) for t in trees), default=1)
        dtypes = {"feature": np.int64, "threshold": np.float64, "left": np.int64, "right": np.int64,
                  "value": np.float64, "is_leaf": bool}

        def stack(field: str, fill: float | bool) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype=dtypes[field])
            for i, tree in enumerate(trees):
                out[i, : len(tree.value)] = getattr(tree, field)
            return out

        self.feature, self.threshold = stack("feature", 0), stack("threshold", 0.0)
        self.left, self.right, self.value = stack("left", 0), stack("right", 0), stack("value", 0.0)
        self.is_leaf = stack("is_leaf", True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Sum over trees of each row's leaf value."""
        n_trees = len(self.value)
        node = np.zeros((n_trees, len(x)), dtype=np.int64)
        tree = np.arange(n_trees)[:, None]
        rows = np.arange(len(x))[None, :]
        while True:
            inner = ~self.is_leaf[tree, node]
            if not inner.any():
                return self.value[tree, node].sum(axis=0)
            go_left = x[rows, self.feature[tree, node]] <= self.threshold[tree, node]
            node = np.where(inner, np.where(go_left, self.left[tree, node], self.right[tree, node]), node)


@dataclass(frozen=True)
class Reranker:
    """Gradient-boosted trees over :data:`FEATURES` predicting how much better than the query's average neighbour
    a neighbour's adapted test scores; higher is better. ``depth``: how many BM25 neighbours it re-orders."""

    trees: tuple[Tree, ...]
    baseline: float
    depth: int
    _forest: _Forest = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_forest", _Forest(self.trees))  # frozen: set once, here

    def scores(self, features: np.ndarray) -> np.ndarray:
        return self.baseline + self._forest.predict(features)

    def order(self, query_focal: str, query_class: str, neighbours: Sequence[Neighbour]) -> list[int]:
        """Indices of ``neighbours`` best first (ties keep BM25 order)."""
        return self.ranked(query_focal, query_class, neighbours)[0]

    def ranked(self, query_focal: str, query_class: str, neighbours: Sequence[Neighbour]
               ) -> tuple[list[int], np.ndarray]:
        """(indices of ``neighbours`` best first, their scores in that order); ties keep BM25 order."""
        if len(neighbours) < 2:
            return list(range(len(neighbours))), np.zeros(len(neighbours))
        scores = self.scores(neighbour_features(query_focal, query_class, neighbours))
        order = sorted(range(len(neighbours)), key=lambda i: (-scores[i], i))
        return order, scores[order]

    @classmethod
    def from_json(cls, data: dict) -> Reranker:
        names = tuple(data["features"])
        if names != FEATURES:
            raise ValueError(f"reranker weights are for features {names}, this version computes {FEATURES}")
        return cls(trees=tuple(Tree.from_json(t) for t in data["trees"]), baseline=float(data["baseline"]),
                   depth=int(data["depth"]))


def export(model: Any, depth: int) -> dict[str, Any]:
    """A fitted scikit-learn ``HistGradientBoostingRegressor`` as :class:`Reranker` JSON (its trees as plain
    arrays; read from the fitted predictors, so scikit-learn is not imported here)."""
    trees = []
    for (predictor,) in model._predictors:  # one tree per boosting iteration (regression: one output)
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not exported")
        trees.append({"feature": nodes["feature_idx"].tolist(), "threshold": nodes["num_threshold"].tolist(),
                      "left": nodes["left"].tolist(), "right": nodes["right"].tolist(),
                      "value": nodes["value"].tolist(), "is_leaf": nodes["is_leaf"].astype(bool).tolist()})
    baseline = float(np.ravel(model._baseline_prediction)[0])
    return {"features": list(FEATURES), "baseline": baseline, "depth": depth, "trees": trees}


def weights_file_id(path: Path) -> str | None:
    """A shipped weights file's identity (first 12 hex digits of its sha256), recorded with the evaluation cells it
    shaped; None when the file is absent."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else None


@cache
def reranker_id() -> str | None:
    """The shipped re-ranker's identity, recorded with evaluation cells (read once, like :func:`shipped_reranker`)."""
    return weights_file_id(WEIGHTS_FILE)


@cache
def shipped_reranker() -> Reranker | None:
    """The reranker shipped with the package (None when its weights file is absent)."""
    if not WEIGHTS_FILE.exists():
        return None
    return Reranker.from_json(json.loads(WEIGHTS_FILE.read_text()))
