from customizer.evaluate.stats import kruskal, wilcoxon
from customizer.evaluate.store import Cell, is_done, iter_cells, write_cell


def test_kruskal_detects_a_clear_difference_and_not_a_null_one():
    low = [1.0, 2.0, 3.0, 2.5, 1.5, 2.2, 1.8, 2.9] * 3
    high = [x + 10 for x in low]
    assert kruskal("a", high, "b", low).significant()
    assert not kruskal("a", low, "b", list(reversed(low))).significant()


def test_wilcoxon_pairs_by_id_and_handles_degenerate_input():
    a = {str(i): float(i) + 5 for i in range(30)}
    b = {str(i): float(i) for i in range(30)}
    c = wilcoxon("a", a, "b", b)
    assert c.n == 30 and c.delta == 5 and c.significant()
    same = wilcoxon("a", b, "b", b)
    assert same.p_value is None and not same.significant()
    assert wilcoxon("a", {"x": 1.0}, "b", {"y": 2.0}).n == 0


def test_cells_are_written_atomically_and_read_back(tmp_path):
    cell = Cell("proj", "method", 0, "retrieve")
    assert not is_done(tmp_path, cell)
    write_cell(tmp_path, cell, [{"id": "1", "bleu": 3.0}], run={"wall_s": 1.0})
    assert is_done(tmp_path, cell)
    [(got, rows, run)] = list(iter_cells(tmp_path))
    assert got == cell and rows == [{"id": "1", "bleu": 3.0}] and run == {"wall_s": 1.0}
    assert not list(cell.path(tmp_path).parent.glob(".*"))  # no temp files left behind
