"""Which stored cells a run makes again: cheap cells that no longer measure what the product does."""

from customizer.evaluate.runner import is_stale
from customizer.evaluate.store import Cell, write_cell
from customizer.retrieval.rerank import reranker_id

ROW = {"id": "0" * 16, "bleu": 1.0, "exact": [False] * 5, "abstracted": [False] * 5, "top1": "", "reference": ""}


def test_a_retrieval_cell_made_before_distinct_neighbours_or_with_other_weights_is_stale(tmp_path):
    retrieve, bm25 = Cell("r", "method", 0, "retrieve"), Cell("r", "method", 0, "retrieve-bm25")
    assert not is_stale(tmp_path, retrieve)  # not stored: missing, not stale
    write_cell(tmp_path, retrieve, [ROW], {"system": "retrieve", "reranker": reranker_id()})
    write_cell(tmp_path, bm25, [ROW], {"system": "retrieve-bm25", "reranker": None})
    assert is_stale(tmp_path, retrieve) and is_stale(tmp_path, bm25)  # their lists could repeat a test
    write_cell(tmp_path, retrieve, [ROW], {"system": "retrieve", "reranker": reranker_id(), "distinct": True})
    write_cell(tmp_path, bm25, [ROW], {"system": "retrieve-bm25", "reranker": None, "distinct": True})
    assert not is_stale(tmp_path, retrieve) and not is_stale(tmp_path, bm25)
    write_cell(tmp_path, retrieve, [ROW], {"system": "retrieve", "reranker": "0123456789ab", "distinct": True})
    assert is_stale(tmp_path, retrieve)


def test_model_cells_are_never_stale(tmp_path):
    cell = Cell("r", "method", 0, "l-ldb")
    write_cell(tmp_path, cell, [ROW], {"system": "l-ldb"})
    assert not is_stale(tmp_path, cell)
