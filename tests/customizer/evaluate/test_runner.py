"""The experiment runner end to end on a small repository with the tiny BART: cells, resume, report."""

import json

import pytest

from customizer.cli import main
from customizer.evaluate.hybrid import hybrid_cell
from customizer.evaluate.runner import EvalConfig, evaluate_repositories, fold_parts, mined_pairs
from customizer.evaluate.store import iter_cells
from customizer.mining.folds import split_folds


def test_evaluate_runs_every_system_resumes_and_reports(java_repo, tiny_bart_dir, tmp_path, capsys):
    out = tmp_path / "results"
    cfg = EvalConfig(out=out, systems=("retrieve", "base", "l-ldb"), folds=4, run_folds=[0],
                     splits=("method", "random"), max_test=3, candidates=2, device="cpu",
                     base_model=str(tiny_bart_dir), max_minutes=0.05)
    assert evaluate_repositories([java_repo], cfg, log=lambda m: None) == 6
    cells = {(c.split, c.system): (rows, run) for c, rows, run in iter_cells(out)}
    assert set(cells) == {(s, m) for s in ("method", "random") for m in ("retrieve", "base", "l-ldb")}
    for (_split, system), (rows, run) in cells.items():
        assert len(rows) == 3
        assert all(0.0 <= r["bleu"] <= 100.0 and len(r["exact"]) == 5 for r in rows)
        if system == "retrieve":
            assert all(r["nll"] is None for r in rows) and run["pflops"] == 0.0
        else:
            assert all(r["nll"] > 0 and r["ref_tokens"] > 0 for r in rows)
    ldb_run = cells[("method", "l-ldb")][1]
    assert ldb_run["history"] and ldb_run["trainable_params"] < ldb_run["total_params"]
    # method split: no test pair's focal method is among the training pairs; retrieval never copies itself
    for rows, _ in cells.values():
        assert len({r["id"] for r in rows}) == 3

    # resumable: nothing left to do
    assert evaluate_repositories([java_repo], cfg, log=lambda m: None) == 0

    docs = tmp_path / "docs"
    assert main(["evaluate-report", "--out", str(out), "--docs", str(docs)]) == 0
    text = (docs / "evaluation.md").read_text()
    assert "## `random` split" in text and "## `method` split" in text and "| calc | l-ldb | 3 |" in text
    assert "## Summary" in text and "**l-ldb vs base**" in text and "## Shipped defaults" in text
    summary = text.split("## Shipped defaults")[0]
    assert "| parses | cut | decoding |" in summary
    base_row = next(line for line in summary.splitlines() if line.startswith("| base | 1 | 3 |"))
    assert base_row.endswith("| shipped (torch) |")  # each cell records how it was decoded
    # the Decoding section alone, from docs/decoding.json, without the results folder
    (docs / "decoding.json").write_text(json.dumps({"guards": {"packages": 2, "tests": 9, "syntax_guard_altered": 0,
                                                               "redeclaration_altered": 0, "command": "cmd"}}))
    assert main(["evaluate-report", "--docs", str(docs), "--decoding-only", "--out", str(tmp_path / "none")]) == 0
    refreshed = (docs / "evaluation.md").read_text()
    assert refreshed.split("## Decoding")[0] == text.split("## Decoding")[0] and "that parse (9)" in refreshed


def test_hybrid_cells_lead_with_the_retrieved_test_and_need_their_parts(java_repo, tiny_bart_dir, tmp_path,
                                                                        monkeypatch):
    import customizer.defaults
    from customizer.decoding import lead_with
    from customizer.defaults import DEFAULT_RETRIEVED_FIRST
    from customizer.evaluate.metrics import bleu
    from customizer.evaluate.store import read_cell, write_cell
    from customizer.evaluate.summary import sweep_retrieved_first
    from customizer.java.source_text import normalize_whitespace
    from customizer.retrieval.likelihood import stage_id

    # as if the product let the base model order the retrieved tests (customizer.defaults.likelihood_orders)
    monkeypatch.setattr(customizer.defaults, "LIKELIHOOD_ORDER_BASE", True)
    out = tmp_path / "results"
    common = dict(folds=4, run_folds=[0], splits=("method",), max_test=3, candidates=2, device="cpu",
                  base_model=str(tiny_bart_dir))
    lines: list[str] = []
    assert evaluate_repositories([java_repo], EvalConfig(out=out, systems=("hybrid-base",), **common),
                                 log=lines.append) == 0
    assert any("needs the retrieve and base cells first" in line for line in lines)
    cfg = EvalConfig(out=out, systems=("retrieve", "base", "hybrid-base"), **common)
    assert evaluate_repositories([java_repo], cfg, log=lambda m: None) == 3
    cells = {c.system: (rows, run) for c, rows, run in iter_cells(out)}
    model = {r["id"]: r for r in cells["base"][0]}
    for row in cells["hybrid-base"][0]:
        # the retrieved tests lead as the base model ordered them (re-ranker, then its likelihood of each)
        ordered = model[row["id"]]["retrieved"]
        assert 1 <= len(ordered) <= 2 and row["top1"] == ordered[0]
        assert row["nll"] == model[row["id"]]["nll"]  # the model's perplexity stays the model's
        # the product's list: the retrieved candidates, then the model's, duplicates dropped
        first = ordered[:DEFAULT_RETRIEVED_FIRST]
        assert row["candidates"] == lead_with(first, model[row["id"]]["candidates"], 5, key=normalize_whitespace)
        assert set(model[row["id"]]["candidates"]) & set(row["candidates"])  # the model's are in the list
    assert cells["hybrid-base"][1]["retrieved_by"] == cells["base"][1]["retrieved_by"] == stage_id() is not None
    from customizer.evaluate.report import load

    sweep = sweep_retrieved_first(load(out)["method"], "base", k=2)
    assert [s["n"] for s in sweep] == [0, 1, 2] and all(s["pairs"] == 3 for s in sweep)
    led_bleu = sum(bleu(model[r["id"]]["retrieved"][0], r["reference"]) for r in cells["retrieve"][0]) / 3
    assert sweep[1]["bleu1"] == sweep[2]["bleu1"] == pytest.approx(led_bleu, abs=0.01)

    # a model cell stored before the likelihood stage: the retrieve cell's order leads, and the run says so
    base_cell = next(c for c, _, _ in iter_cells(out) if c.system == "base")
    hybrid = next(c for c, _, _ in iter_cells(out) if c.system == "hybrid-base")
    rows, run = read_cell(out, base_cell)
    write_cell(out, base_cell, [{k: v for k, v in r.items() if k != "retrieved"} for r in rows], run)
    _, pairs = mined_pairs(java_repo, out, lambda m: None)
    test = fold_parts(split_folds(pairs, k=4, seed=0, group="method"), 0, cfg)[1]
    made = hybrid_cell(out, hybrid, test)
    assert made is not None and made[1]["retrieved_by"] is None
    retrieved = {r["id"]: r for r in cells["retrieve"][0]}
    assert [r["top1"] for r in made[0]] == [retrieved[r["id"]]["top1"] for r in made[0]]
    # where the product keeps the re-ranker's order for this kind of model, so does its hybrid cell
    monkeypatch.setattr(customizer.defaults, "LIKELIHOOD_ORDER_BASE", False)
    made = hybrid_cell(out, hybrid, test)
    assert made is not None and made[1]["retrieved_by"] is None
    assert [r["top1"] for r in made[0]] == [retrieved[r["id"]]["top1"] for r in made[0]]
    # a stored hybrid cell made with the other order of the model's candidates is made again, written over in
    # place (the folder always has it: a report reading meanwhile still finds it)
    write_cell(out, base_cell, rows, run)
    assert evaluate_repositories([java_repo], cfg, log=lambda m: None) == 1  # newer than its base part
    assert read_cell(out, hybrid)[1]["agreement"] is True
    removed = []
    monkeypatch.setattr(type(hybrid.path(out)), "unlink", lambda self, *a, **k: removed.append(self))
    monkeypatch.setattr(customizer.defaults, "AGREEMENT_ORDER", False)
    assert evaluate_repositories([java_repo], cfg, log=lambda m: None) == 1 and not removed
    assert read_cell(out, hybrid)[1]["agreement"] is False
    assert evaluate_repositories([java_repo], cfg, log=lambda m: None) == 0


def test_evaluate_cli_rejects_unknown_systems_and_splits(java_repo, tmp_path, capsys):
    assert main(["evaluate", str(java_repo), "--strategies", "magic", "--out", str(tmp_path)]) != 0
    assert "unknown system magic" in capsys.readouterr().err
    assert main(["evaluate", str(java_repo), "--split", "diagonal", "--out", str(tmp_path)]) != 0
    assert "unknown split diagonal" in capsys.readouterr().err


def test_evaluate_cli_retrieval_only_json(java_repo, tmp_path, capsys):
    assert main(["evaluate", str(java_repo), "--strategies", "retrieve", "--run-folds", "0", "--max-test", "2",
                 "--out", str(tmp_path / "r"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["cells_computed"] == 1


def test_evaluate_with_worker_processes_computes_the_same_cells_and_resumes(java_repo, tiny_bart_dir, tmp_path):
    lines: list[str] = []
    common = dict(systems=("retrieve", "base"), folds=4, run_folds=[0], splits=("method",), max_test=2,
                  candidates=2, device="cpu", base_model=str(tiny_bart_dir))
    one = EvalConfig(out=tmp_path / "one", **common)
    two = EvalConfig(out=tmp_path / "two", jobs=2, **common)
    assert evaluate_repositories([java_repo], one, log=lambda m: None) == 2
    assert evaluate_repositories([java_repo], two, log=lines.append) == 2
    assert "2 cells to compute with 2 workers" in lines
    def rows(out):
        return {(c.system, r["id"], tuple(r["candidates"])) for c, rs, _ in iter_cells(out) for r in rs}
    assert rows(tmp_path / "one") == rows(tmp_path / "two")
    assert evaluate_repositories([java_repo], two, log=lines.append) == 0
    with pytest.raises(ValueError, match="--jobs 1"):
        evaluate_repositories([java_repo], EvalConfig(out=tmp_path / "v", jobs=2, validate=True, **common))


def test_sigterm_stops_worker_processes_promptly_and_keeps_finished_cells(java_repo, tiny_bart_dir, tmp_path):
    """A budget (``timeout``) ends a parallel evaluation with SIGTERM: it must exit within seconds, not wait for the
    running cells, and keep every finished one (the GPU script packs them right after)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "results"
    env = {**os.environ, "TESTTAILOR_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "customizer", "evaluate", str(java_repo), "--out", str(out), "--jobs", "2",
         "--strategies", "base,l-ldb", "--split", "method,random,class", "--run-folds", "0", "--max-test", "2",
         "--candidates", "2", "--device", "cpu", "--base-model", str(tiny_bart_dir), "--max-minutes", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if "done in" in line:  # one cell finished; others are running
            break
    proc.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    rest, _ = proc.communicate(timeout=60)
    assert time.monotonic() - t0 < 30, "".join(lines) + rest
    assert "stopped:" in rest
    finished = list(iter_cells(out))
    assert 1 <= len(finished) < 6


def test_an_interrupted_customization_is_not_stored_as_a_result(java_repo, tiny_bart_dir, tmp_path, monkeypatch):
    """SIGTERM during training makes the trainer stop early with its best state ("interrupted"); the evaluation
    must stop instead of scoring and storing that half-trained model as the strategy's result."""
    from types import SimpleNamespace

    import customizer.evaluate.model_systems as model_systems

    monkeypatch.setattr(model_systems, "fit_pairs", lambda *a, **k: SimpleNamespace(
        result=SimpleNamespace(stop_reason="interrupted")))
    cfg = EvalConfig(out=tmp_path / "r", systems=("l-ldb",), folds=4, run_folds=[0], splits=("method",), max_test=2,
                     candidates=2, device="cpu", base_model=str(tiny_bart_dir))
    with pytest.raises(KeyboardInterrupt, match="not stored"):
        evaluate_repositories([java_repo], cfg, log=lambda m: None)
    assert list(iter_cells(tmp_path / "r")) == []


def test_evaluate_decodes_with_onnx_runtime_when_asked_and_records_how(java_repo, tiny_bart_dir, tmp_path):
    common = dict(systems=("base",), folds=4, run_folds=[0], splits=("method",), max_test=3, candidates=2,
                  device="cpu", base_model=str(tiny_bart_dir))
    cells = {}
    for runtime in ("torch", "onnx"):
        out = tmp_path / runtime
        assert evaluate_repositories([java_repo], EvalConfig(out=out, runtime=runtime, **common),
                                     log=lambda m: None) == 1
        [(_, rows, run)] = list(iter_cells(out))
        assert run["runtime"] == runtime and run["runtime_note"] is None
        assert run["decoding"]["stop_redeclared"] is True  # the shipped decoding, recorded per cell
        cells[runtime] = rows
    # the same candidates either way (ONNX Runtime decodes the same model with the same beam search)
    assert [r["candidates"] for r in cells["onnx"]] == [r["candidates"] for r in cells["torch"]]
