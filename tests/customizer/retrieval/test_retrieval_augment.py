"""Which tests go into a retrieval-augmented input: leave-one-out, never the query method's own tests, and only
from the training pairs."""

from __future__ import annotations

from pathlib import Path

from customizer.mining.miner import mine_repository
from customizer.retrieval import RetrievalIndex, render_retrieved, retrieved_texts, training_retrieval


def test_training_pairs_retrieve_other_methods_tests_and_held_out_pairs_only_training_ones(java_repo: Path) -> None:
    pairs = mine_repository(java_repo).pairs  # 12 methods with two tests each
    train, held_out = pairs[:20], pairs[20:]
    # without exclusions a pair's nearest neighbour is itself, then its focal method's other test
    nearest = RetrievalIndex(train).query(train[0].focal.body, k=2, class_name=train[0].focal.class_)
    assert {hit.pair.focal.signature for hit in nearest} == {train[0].focal.signature}

    retrieved = training_retrieval(train, held_out, 3)
    assert set(retrieved) == {p.id for p in pairs}
    rendered_train = {render_retrieved(p) for p in train}
    for pair in pairs:
        texts = retrieved[pair.id]
        assert len(texts) == 3 and set(texts) <= rendered_train
        assert render_retrieved(pair) not in texts
        assert not any(text.startswith(pair.focal.signature + "\n") for text in texts)


def test_k_zero_retrieves_nothing(java_repo: Path) -> None:
    pairs = mine_repository(java_repo).pairs
    assert training_retrieval(pairs, [], 0) == {}
    assert retrieved_texts(RetrievalIndex(pairs), pairs[0].focal.body, 0) == []


def test_rendered_neighbour_is_signature_then_test(java_repo: Path) -> None:
    pair = mine_repository(java_repo).pairs[0]
    assert render_retrieved(pair) == f"{pair.focal.signature}\n{pair.test.body}"


def test_sparse_scores_equal_rank_bm25s(java_repo: Path) -> None:
    import numpy as np
    from rank_bm25 import BM25Okapi

    from customizer.retrieval.index import search_terms

    pairs = mine_repository(java_repo).pairs
    index = RetrievalIndex(pairs)
    reference = BM25Okapi([search_terms(p.focal.signature + " " + p.focal.body + " " + p.focal.class_)
                           for p in pairs])
    for query, class_name in [(pairs[0].focal.body, "Calculator"), ("public int twice(int a) { return 2 * a; }", ""),
                              ("void unrelated() {}", "Nothing")]:
        expected = reference.get_scores(search_terms(query + " " + class_name))
        assert np.allclose(index.scores(query, class_name), expected, rtol=0, atol=1e-9)
