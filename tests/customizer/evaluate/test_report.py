from customizer.evaluate.report import render_report
from customizer.evaluate.store import Cell, write_cell


def _row(i: int, bleu: float, top1: str) -> dict:
    return {"id": str(i), "focal": "f", "bleu": bleu, "exact": [False] * 4 + [bleu > 50],
            "abstracted": [bleu > 30] * 5, "parses": True, "focal_name": True, "hit_limit": False,
            "nll": 10.0, "ref_tokens": 5, "top1": top1, "reference": "void t() { a.f(1); }"}


def test_report_has_tables_the_retrieval_bar_stats_and_plots(tmp_path):
    out, docs = tmp_path / "res", tmp_path / "docs"
    docs.mkdir()
    for system, offset in (("retrieve", 0.0), ("base", -5.0), ("l-ldb", 20.0)):
        rows = [_row(i, 20.0 + offset + i % 7, "void t() { a.f(2); }") for i in range(40)]
        run = {"wall_s": 3.0, "pflops": 0.01, "history": [{"pflops": 0.0, "val_loss": 3.0},
                                                          {"pflops": 0.01, "val_loss": 2.0}]}
        write_cell(out, Cell("proj", "method", 0, system), rows, run if system == "l-ldb" else None)
    text = render_report(out, docs, "testtailor evaluate-report")
    assert "## `method` split" in text
    assert "| proj | l-ldb | 40 |" in text
    assert "beats retrieval" in text and "below retrieval" in text  # l-ldb above, base below
    assert "l-ldb vs base" in text
    for png in ("evaluation-topk-method.png", "evaluation-style-method.png", "evaluation-valloss-method.png"):
        assert (docs / png).stat().st_size > 1000 and f"]({png})" in text


def test_report_without_results_says_so(tmp_path):
    assert "No evaluation results yet." in render_report(tmp_path / "none", tmp_path, "cmd")
