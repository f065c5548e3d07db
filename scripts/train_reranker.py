"""Learn the retrieval re-ranker (customizer/retrieval/rerank.py) from the pretraining packages' tests.

    python scripts/train_reranker.py [--corpus DIR] [--per-package 20] [--depth 10] [--out FILE]

Queries are made as the evaluation makes them (customizer/evaluate/runner.py): each package's pairs split into 4
folds grouped by focal method (a method with no test yet) and by focal class (a class with none), fold 0's sample
asks, the other folds are indexed. Each query's first BM25 neighbours are adapted to it and scored with BLEU-4
against the query's developer test; a model of that BLEU, centred per query, on the features learns which
neighbour makes the better test (scikit-learn's gradient-boosted trees, exported as plain arrays; a ridge
regression is printed beside them for reference). Packages are cross-validated (5 groups of packages): the printed
and stored gain is the mean top-1 BLEU of re-ranked vs BM25 order on packages the model never saw.

Only packages of corpus/pretrain-packages.txt are read; a dev-eval package in the corpus folder is an error, so the
dev-eval numbers in docs/evaluation.md stay measured on packages the re-ranker never saw. The examples are cached
(``--cache``) so refitting does not re-mine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from customizer.corpus.lists import PackageLists  # noqa: E402
from customizer.corpus.paths import atomic_write_text, cache_root  # noqa: E402
from customizer.errors import DatasetTooSmallError  # noqa: E402
from customizer.evaluate.metrics import bleu  # noqa: E402
from customizer.evaluate.runner import sample_test  # noqa: E402
from customizer.mining.folds import split_folds  # noqa: E402
from customizer.mining.pairs import read_pairs  # noqa: E402
from customizer.retrieval import RetrievalIndex, adapt_test  # noqa: E402
from customizer.retrieval.rerank import FEATURES, WEIGHTS_FILE, Neighbour, Reranker, export, neighbour_features  # noqa: E402


def build_examples(corpus: Path, per_package: int, depth: int, splits: list[str]) -> dict[str, np.ndarray]:
    lists = PackageLists.load()
    pretrain, dev_eval = set(lists.pretrain), set(lists.dev_eval)
    files = sorted(corpus.glob("*.jsonl"))
    leaked = sorted(f.stem for f in files if f.stem in dev_eval)
    if leaked:
        raise SystemExit(f"dev-eval packages in {corpus}: {', '.join(leaked)}; the re-ranker must not see them")
    xs, ys, queries, packages, ranks = [], [], [], [], []
    t0, n_queries = time.time(), 0
    for pkg_index, path in enumerate(files):
        if path.stem not in pretrain:
            continue
        pairs = read_pairs(path)
        for split in splits:
            try:
                folds = split_folds(pairs, k=4, seed=0, group=split)
            except DatasetTooSmallError:
                continue
            train = [p for f in folds[1:] for p in f]
            index = RetrievalIndex(train)
            for query in sample_test(folds[0], per_package, 0):
                hits = index.query(query.focal.body, k=depth, class_name=query.focal.class_)
                if len(hits) < 2:
                    continue
                neighbours = [Neighbour(h.pair, h.score, adapt_test(h.pair.test.body, h.pair.focal.body,
                                                                    query.focal.body, h.pair.focal.class_,
                                                                    query.focal.class_)) for h in hits]
                xs.append(neighbour_features(query.focal.body, query.focal.class_, neighbours))
                ys.append(np.array([bleu(n.adapted, query.test.body) for n in neighbours]))
                queries.append(np.full(len(neighbours), n_queries))
                packages.append(np.full(len(neighbours), pkg_index))
                ranks.append(np.arange(len(neighbours)))
                n_queries += 1
        if pkg_index % 50 == 0:
            print(f"{pkg_index}/{len(files)} packages, {n_queries} queries, {time.time() - t0:.0f}s", flush=True)
    return {"x": np.concatenate(xs), "y": np.concatenate(ys), "query": np.concatenate(queries),
            "package": np.concatenate(packages), "rank": np.concatenate(ranks)}


def _centred(y: np.ndarray, query: np.ndarray) -> np.ndarray:
    sums = np.bincount(query, weights=y)
    counts = np.bincount(query)
    return y - (sums / np.maximum(counts, 1))[query]


def fit(x: np.ndarray, y: np.ndarray, query: np.ndarray) -> Any:
    """Gradient-boosted trees of the per-query centred BLEU (small: 100 trees of depth 3)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(max_iter=100, learning_rate=0.1, max_depth=3, min_samples_leaf=100,
                                         random_state=0).fit(x, _centred(y, query))


def fit_ridge(x: np.ndarray, y: np.ndarray, query: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A linear reference (standardized features, ridge), printed beside the trees."""
    from sklearn.linear_model import Ridge

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = Ridge(alpha=1.0, fit_intercept=False).fit((x - mean) / scale, _centred(y, query))
    return lambda rows: ((rows - mean) / scale) @ model.coef_


def top1(scores: np.ndarray, y: np.ndarray, query: np.ndarray, rank: np.ndarray) -> float:
    """Mean over queries of the BLEU of the best-scored neighbour (ties: BM25 order)."""
    order = np.lexsort((rank, -scores, query))
    first = np.ones(len(order), dtype=bool)
    first[1:] = query[order][1:] != query[order][:-1]
    return float(y[order][first].mean())


def cross_validate(data: dict[str, np.ndarray], folds: int = 5) -> dict[str, float]:
    from sklearn.model_selection import GroupKFold

    x, y, query, package, rank = data["x"], data["y"], data["query"], data["package"], data["rank"]
    results: dict[str, list[float]] = {"bm25": [], "linear": [], "reranked": [], "oracle": []}
    for train, test in GroupKFold(n_splits=folds).split(x, y, package):
        yt, qt, rt = y[test], query[test], rank[test]
        results["bm25"].append(top1(-rt.astype(float), yt, qt, rt))
        results["linear"].append(top1(fit_ridge(x[train], y[train], query[train])(x[test]), yt, qt, rt))
        results["reranked"].append(top1(fit(x[train], y[train], query[train]).predict(x[test]), yt, qt, rt))
        results["oracle"].append(top1(yt, yt, qt, rt))
    return {f"{name}_top1_bleu": float(np.mean(values)) for name, values in results.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=cache_root() / "corpus" / "pairs")
    ap.add_argument("--per-package", type=int, default=20, help="queries per package and split")
    ap.add_argument("--depth", type=int, default=10, help="BM25 neighbours re-ranked per query")
    ap.add_argument("--examples-depth", type=int, default=20,
                    help="BM25 neighbours adapted and scored per query in the cached examples (>= --depth)")
    ap.add_argument("--splits", default="method,class")
    ap.add_argument("--cache", type=Path, default=cache_root() / "reranker" / "examples.npz")
    ap.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = ap.parse_args()
    if args.examples_depth < args.depth:
        raise SystemExit("--examples-depth must be at least --depth")
    key = f"{args.per_package}-{args.examples_depth}-{args.splits}"
    data: dict[str, np.ndarray] | None = None
    if args.cache.exists():  # the examples of an earlier run: reused when they hold every feature asked for
        loaded = np.load(args.cache, allow_pickle=False)
        names = [str(n) for n in loaded["features"]]
        if str(loaded["key"]) == key and set(FEATURES) <= set(names):
            data = {k: loaded[k] for k in ("x", "y", "query", "package", "rank")}
            data["x"] = data["x"][:, [names.index(n) for n in FEATURES]]
    if data is None:
        data = build_examples(args.corpus, args.per_package, args.examples_depth, args.splits.split(","))
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.cache, key=np.array(key), features=np.array(FEATURES), **data)
    n_queries, n_packages = len(np.unique(data["query"])), len(np.unique(data["package"]))
    if args.depth < args.examples_depth:  # the examples hold deeper neighbour lists: keep the first ones
        data = {k: v[data["rank"] < args.depth] for k, v in data.items()}
    cv = cross_validate(data)
    print(f"{n_queries} queries from {n_packages} packages, {args.depth} neighbours each; cross-validated by "
          f"package, mean top-1 BLEU: BM25 {cv['bm25_top1_bleu']:.2f}, linear {cv['linear_top1_bleu']:.2f}, "
          f"trees {cv['reranked_top1_bleu']:.2f} (the best of the {args.depth}: {cv['oracle_top1_bleu']:.2f})")
    model = fit(data["x"], data["y"], data["query"])
    payload = export(model, args.depth)
    reranker = Reranker.from_json(payload)
    if not np.allclose(reranker.scores(data["x"]), model.predict(data["x"]), atol=1e-4):
        raise SystemExit("the exported trees do not reproduce scikit-learn's predictions")
    payload["trained_on"] = {"queries": n_queries, "packages": n_packages, "splits": args.splits.split(","),
                             "per_package": args.per_package,
                             "command": "python scripts/train_reranker.py " + " ".join(sys.argv[1:])}
    payload["cross_validated"] = {k: round(v, 2) for k, v in cv.items()}
    atomic_write_text(args.out, json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
