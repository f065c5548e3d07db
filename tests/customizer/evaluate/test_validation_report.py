"""The "Compiles and passes" section: rates per project and system, unbuilt projects with their reason, and the
section surviving a regeneration from a results folder without validated cells."""

from __future__ import annotations

from customizer.evaluate.report import render_report
from customizer.evaluate.store import Cell, write_cell
from customizer.evaluate.validation import write_build_record
from customizer.evaluate.validation_report import VALIDATION_JSON, summarize_rows


def _row(i: int, outcomes: list[str]) -> dict:
    best = min(outcomes, key=["passing", "failing", "timeout", "unchecked", "not_compiling",
                              "not_parsing"].index)
    return {"id": str(i), "focal": "f", "bleu": 10.0, "exact": [False] * 5, "abstracted": [False] * 5,
            "parses": True, "focal_name": True, "hit_limit": None, "nll": None, "ref_tokens": None,
            "top1": "void t() {}", "reference": "void t() {}", "candidates": ["void t() {}"] * len(outcomes),
            "validation": {"outcomes": outcomes, "messages": [""] * len(outcomes), "top1": outcomes[0],
                           "best5": best}}


def test_summary_counts_checked_pairs_only():
    rows = [_row(0, ["passing", "not_compiling"]), _row(1, ["not_compiling", "failing"]),
            _row(2, ["not_parsing", "not_parsing"]), _row(3, ["not_compiling", "passing"]),
            _row(4, ["unchecked", "unchecked"])]
    s = summarize_rows(rows)
    assert (s["pairs"], s["checked"]) == (5, 4)
    assert (s["top1_compiles"], s["top1_passes"], s["best5_compiles"], s["best5_passes"]) == (25.0, 25.0, 75.0, 50.0)


def test_report_renders_the_table_and_keeps_it_when_regenerated(tmp_path):
    val, main_out, docs = tmp_path / "val", tmp_path / "main", tmp_path / "docs"
    docs.mkdir()
    base = [_row(i, ["not_parsing"] * 5) for i in range(4)]
    ldb = [_row(0, ["passing", "failing"]), _row(1, ["not_compiling", "passing"]),
           _row(2, ["not_compiling"] * 2), _row(3, ["failing", "not_compiling"])]
    write_cell(val, Cell("shop", "method", 0, "base"), base, {"system": "base", "base_model": "base model M (sha)"})
    write_cell(val, Cell("shop", "method", 0, "l-ldb"), ldb)
    write_build_record(val, "shop", {"builds": True, "reason": "", "modules": {".": {"build_system": "maven"}},
                                     "reference_control": {"pairs": 5, "compiles": 5, "passes": 4}})
    write_cell(val, Cell("xom", "method", 0, "base"), [_row(0, ["unchecked"] * 5)])
    write_build_record(val, "xom", {"builds": False, "reason": "production sources do not compile: package "
                                    "nu.xom.ext does not exist", "modules": {".": {"build_system": "plain"}}})
    text = render_report(val, docs, "testtailor evaluate-report", validation_command="testtailor evaluate-report "
                         "--validation val")
    assert "## Compiles and passes" in text
    assert "| shop | method | base | 4/4 | 0.0 | 0.0 | 0.0 | 0.0 |" in text
    assert "| shop | method | l-ldb | 4/4 | 50.0 | 25.0 | 75.0 | 50.0 |" in text
    assert "Projects built here: shop (maven)." in text
    assert "Model systems ran on: base model M (sha)." in text  # which model the rates belong to
    assert "shop 4/5 pass (5 compile)" in text
    assert "- xom: production sources do not compile: package nu.xom.ext does not exist" in text
    section = text[text.index("## Compiles and passes"):]
    assert "| xom |" not in section  # no rates for a project that was not built
    assert (docs / VALIDATION_JSON).exists()

    # the main results hold no validated cell: the section comes from docs/validation.json, before Decoding
    plain = {k: v for k, v in _row(0, ["passing"]).items() if k not in ("validation", "candidates")}
    write_cell(main_out, Cell("shop", "method", 0, "retrieve"), [plain])
    (docs / "decoding.json").write_text('{"configs": {}}', encoding="utf-8")
    again = render_report(main_out, docs, "testtailor evaluate-report --out main")
    assert "| shop | method | l-ldb | 4/4 | 50.0 | 25.0 | 75.0 | 50.0 |" in again
    assert "| shop | retrieve | 1 |" in again  # the main tables are still there
    assert again.index("## Compiles and passes") < again.index("## Decoding")
    assert "testtailor evaluate-report --validation val" in again
