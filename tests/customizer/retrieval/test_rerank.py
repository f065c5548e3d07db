import json

import numpy as np
import pytest

from customizer.retrieval import RetrievalIndex, nearest_adapted
from customizer.retrieval.rerank import (
    FEATURES,
    WEIGHTS_FILE,
    Neighbour,
    Reranker,
    Tree,
    export,
    neighbour_features,
    shipped_reranker,
)
from tests.customizer.retrieval.test_retrieval import PAIRS as UNRELATED
from tests.customizer.retrieval.test_retrieval import _pair

QUERY = "public Money discountFor(Customer customer, Money amount) { return amount.times(customer.rate()); }"

# BM25 prefers the first (it shares more words), but it is a void method of another class with one parameter;
# the second is in the query's class, takes two parameters and returns Money like the query
PAIRS = [
    _pair(11, "public void discountAmountFor(Customer customer) { customer.discount(customer.rate().amount()); }",
          "discountAmountFor", "@Test void discountAmountFor_rate() { ledger.discountAmountFor(alice); "
          "verify(alice).discount(TEN); }", cls="Ledger"),
    _pair(12, "public Money surchargeFor(Customer c, Money amount) { return amount.plus(c.fee()); }",
          "surchargeFor", "@Test void surchargeFor_adds_fee() { assertEquals(money(11), "
          "pricing.surchargeFor(alice, money(10))); }", cls="Pricing"),
    *UNRELATED,  # BM25 needs more than two documents for its idf to mean anything
]


def _neighbours(pairs=PAIRS) -> list[Neighbour]:
    return nearest_adapted(RetrievalIndex(pairs), QUERY, k=2, class_name="Pricing", reranker=None)


def _feature(matrix: np.ndarray, row: int, name: str) -> float:
    return float(matrix[row, FEATURES.index(name)])


def test_features_see_what_bm25_cannot():
    neighbours = _neighbours()
    assert [n.pair.focal.method for n in neighbours] == ["discountAmountFor", "surchargeFor"]  # BM25's order
    x = neighbour_features(QUERY, "Pricing", neighbours)
    assert x.shape == (2, len(FEATURES))
    assert _feature(x, 0, "bm25_relative") == 1.0 and _feature(x, 1, "bm25_relative") < 1.0
    assert (_feature(x, 0, "same_class"), _feature(x, 1, "same_class")) == (0.0, 1.0)
    assert (_feature(x, 0, "same_arity"), _feature(x, 1, "same_arity")) == (0.0, 1.0)
    assert (_feature(x, 0, "arity_gap"), _feature(x, 1, "arity_gap")) == (1.0, 0.0)
    assert (_feature(x, 0, "same_return"), _feature(x, 1, "same_return")) == (0.0, 1.0)
    assert (_feature(x, 0, "void_mismatch"), _feature(x, 1, "void_mismatch")) == (1.0, 0.0)
    assert _feature(x, 1, "type_overlap") == 1.0  # (Customer, Money) both
    assert _feature(x, 0, "name_overlap") == pytest.approx(2 / 3)  # {discount, for} of {discount, amount, for}
    # the adapted tests call the query method: renamed where the mapping is one-to-one
    assert _feature(x, 1, "names_query") == 1.0 and "discountFor(alice, money(10))" in neighbours[1].adapted
    assert 0.0 < _feature(x, 1, "query_words_in_test") <= 1.0


def _stump(feature: str, below: float, above: float, threshold: float = 0.5) -> Tree:
    """One split on ``feature``: ``below`` where its value is <= threshold, else ``above``."""
    return Tree.from_json({"feature": [FEATURES.index(feature), 0, 0], "threshold": [threshold, 0.0, 0.0],
                           "left": [1, 0, 0], "right": [2, 0, 0], "value": [0.0, below, above],
                           "is_leaf": [False, True, True]})


def test_reranker_orders_by_its_trees_and_keeps_bm25_order_on_ties():
    neighbours = _neighbours()
    prefers_same_return = Reranker(trees=(_stump("same_return", 0.0, 1.0),), baseline=0.0, depth=5)
    assert prefers_same_return.order(QUERY, "Pricing", neighbours) == [1, 0]
    flat = Reranker(trees=(), baseline=0.0, depth=5)
    assert flat.order(QUERY, "Pricing", neighbours) == [0, 1]
    index = RetrievalIndex(PAIRS)
    top = nearest_adapted(index, QUERY, k=1, class_name="Pricing", reranker=prefers_same_return)
    assert [n.pair.focal.method for n in top] == ["surchargeFor"]  # looked deeper than k = 1


def test_exported_trees_predict_what_scikit_learn_predicts():
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES)))
    y = x[:, 0] * 2 - (x[:, 3] > 0.2) + rng.normal(scale=0.1, size=400)
    model = HistGradientBoostingRegressor(max_iter=20, max_depth=3, random_state=0).fit(x, y)
    reranker = Reranker.from_json(json.loads(json.dumps(export(model, depth=10))))
    assert np.allclose(reranker.scores(x), model.predict(x), atol=1e-5)


def test_shipped_weights_match_this_version_and_say_how_they_were_made():
    data = json.loads(WEIGHTS_FILE.read_text())
    assert tuple(data["features"]) == FEATURES
    assert data["trees"] and all(len(t["feature"]) == len(t["value"]) for t in data["trees"])
    assert data["depth"] >= 5
    assert data["trained_on"]["command"].startswith("python scripts/train_reranker.py")
    cv = data["cross_validated"]
    assert cv["reranked_top1_bleu"] > cv["bm25_top1_bleu"]  # it was only shipped because it helped
    assert shipped_reranker() is not None


def test_weights_for_other_features_are_refused():
    with pytest.raises(ValueError, match="features"):
        Reranker.from_json({"features": ["bm25_log"], "trees": [], "baseline": 0.0, "depth": 5})


def test_nearest_adapted_still_leaves_out_the_query_methods_own_tests():
    own = (PAIRS[1].focal.file, PAIRS[1].focal.signature)
    hits = nearest_adapted(RetrievalIndex(PAIRS), PAIRS[1].focal.body, k=2, class_name="Pricing", exclude_focal=own)
    assert len(hits) == 2 and PAIRS[1].id not in [n.pair.id for n in hits]


def test_training_refuses_a_corpus_holding_a_dev_eval_package(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    dev_eval = next(line.strip() for line in (root / "corpus" / "dev-eval-packages.txt").read_text().splitlines()
                    if line.strip())
    (tmp_path / f"{dev_eval}.jsonl").write_text("")
    run = subprocess.run([sys.executable, str(root / "scripts" / "train_reranker.py"), "--corpus", str(tmp_path),
                          "--cache", str(tmp_path / "examples.npz"), "--out", str(tmp_path / "reranker.json")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert f"dev-eval packages in {tmp_path}: {dev_eval}" in run.stderr
    assert not (tmp_path / "reranker.json").exists()


def test_nearest_adapted_lists_distinct_tests_and_a_shorter_list_starts_a_longer_one():
    # tests of sibling methods, renamed to the query method, repeat: six methods' tests adapt to two texts
    siblings = [_pair(20 + 2 * i + n, f"public int {op}(int a, int b) {{ return a - b; }}", op,
                      f"@Test void test{op.capitalize()}() {{ assertEquals({n}, calc.{op}({n}, {n})); }}", cls="Calc")
                for i, op in enumerate(("sub", "mul", "div", "mod", "max", "min")) for n in (1, 2)]
    index = RetrievalIndex([*siblings, *UNRELATED])
    query = "public int add(int a, int b) { return a + b; }"
    for reranker in ("shipped", None):
        # up to more than the re-ranker's depth (10) and more than the index holds
        lists = [[n.adapted for n in nearest_adapted(index, query, k, class_name="Calc", reranker=reranker)]
                 for k in range(1, 30)]
        longest = lists[-1]
        assert len(longest) == 2 + len(UNRELATED) == len({" ".join(t.split()) for t in longest}), longest
        assert sum("calc.add(" in t for t in longest) == 2  # the two sibling texts, once each, then other tests
        assert lists == [longest[:k] for k in range(1, 30)]
