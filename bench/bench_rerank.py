"""What the retrieval re-ranker costs per request: the project's nearest tests, BM25 order vs re-ranked.

For every focal method of a project (its own tests left out, as the language server asks), the ``k`` nearest
existing tests adapted to it (:func:`customizer.retrieval.nearest_adapted`): BM25's first ``k`` adapted, vs the
shipped re-ranker's first ``k`` of BM25's ``depth``, adapted and scored. The index is built once, as a running
server caches it; the parsed methods are not (the cache is cleared before each request, as for the first
request about a method). With ``--likelihood-queries N`` (> 0) also the first N requests with the likelihood
stage, as the default list orders its retrieved tests: the shipped base model (loaded before timing, one thread)
scores the re-ranker's first few given the query's model input. Projects: the bundled example (mined here) and any
pairs files given (e.g. an evaluation results folder's ``<repo>/pairs.jsonl``). Prints Markdown rows for
``docs/benchmarks.md``.
Usage: ``python bench/bench_rerank.py [--k 5] [--pairs FILE ...] [--max-queries 300] [--likelihood-queries 50]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import torch  # noqa: E402
from _common import percentile, shopkit_repo  # noqa: E402

from customizer.inputs import encode_source, length_budget  # noqa: E402
from customizer.java.context import render_input  # noqa: E402
from customizer.mining.miner import mine_repository  # noqa: E402
from customizer.mining.pairs import Pair, read_pairs  # noqa: E402
from customizer.model import BaseModel, load_base_model  # noqa: E402
from customizer.retrieval import RetrievalIndex, nearest_adapted  # noqa: E402
from customizer.retrieval.likelihood import likelihood_scorer, shipped_stage  # noqa: E402
from customizer.retrieval.rename import parse_method  # noqa: E402
from customizer.retrieval.rerank import shipped_reranker  # noqa: E402


def _latencies(pairs: list[Pair], k: int, rerank: bool, max_queries: int, model: BaseModel | None = None
               ) -> list[float]:
    index = RetrievalIndex(pairs)
    queries = {(p.focal.file, p.focal.signature): p for p in pairs}  # one query per focal method
    out = []
    for (file, signature), pair in list(queries.items())[:max_queries]:
        parse_method.cache_clear()  # a request as the first for this method: nothing parsed yet
        start = time.perf_counter()
        scorer = None
        if model is not None:  # the query's model input, as generation builds it, then the scorer
            max_source, max_target = length_budget(model.model)
            focal_text, context_text = render_input(pair.focal.body, pair.context)
            source = encode_source(model.tokenizer, focal_text, context_text, max_source)
            scorer = likelihood_scorer(model.model, model.tokenizer, source, max_target)
        nearest_adapted(index, pair.focal.body, k, class_name=pair.focal.class_, exclude_focal=(file, signature),
                        reranker="shipped" if rerank else None, likelihood=scorer)
        out.append(1000 * (time.perf_counter() - start))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=5, help="tests returned per request (default 5)")
    parser.add_argument("--pairs", type=Path, nargs="*", default=[], help="more projects' mined pairs (JSONL)")
    parser.add_argument("--max-queries", type=int, default=300, help="focal methods asked per project")
    parser.add_argument("--likelihood-queries", type=int, default=0,
                        help="requests per project also timed with the likelihood stage (default 0: not timed)")
    args = parser.parse_args()
    model = None
    if args.likelihood_queries > 0:
        torch.set_num_threads(1)
        model = load_base_model(device="cpu")
    reranker = shipped_reranker()
    if reranker is None:
        raise SystemExit("no shipped re-ranker (customizer/retrieval/reranker.json)")
    with tempfile.TemporaryDirectory() as tmp:
        projects = [("shopkit", mine_repository(shopkit_repo(Path(tmp))).pairs)]
    projects += [(path.parent.name, read_pairs(path)) for path in args.pairs]
    command = "`python bench/bench_rerank.py " + " ".join(sys.argv[1:]) + "`"
    staged = f" + likelihood of the first {shipped_stage().scored}, p50 / p95 |" if model is not None else ""
    print("| project (pairs) | queries | BM25 only, p50 / p95 | re-ranked (depth "
          f"{reranker.depth}), p50 / p95 |{staged} command |")
    print("|---|---|---|---|" + ("---|" if model is not None else "") + "---|")
    for name, pairs in projects:
        _latencies(pairs, args.k, True, 5)  # warm the parser and caches
        plain = _latencies(pairs, args.k, False, args.max_queries)
        ranked = _latencies(pairs, args.k, True, args.max_queries)
        cells = ""
        if model is not None:
            _latencies(pairs, args.k, True, 2, model)  # warm the model
            timed = _latencies(pairs, args.k, True, args.likelihood_queries, model)
            cells = f" {statistics.median(timed):.0f} / {percentile(timed, 95):.0f} ms ({len(timed)}) |"
        print(f"| {name} ({len(pairs)}) | {len(plain)} | {statistics.median(plain):.1f} / "
              f"{percentile(plain, 95):.1f} ms | {statistics.median(ranked):.1f} / {percentile(ranked, 95):.1f} ms "
              f"|{cells} {command} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
