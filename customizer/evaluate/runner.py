"""The paper's experiment on any repositories: repository × split × fold × system cells, resumable.

For every repository the mined pairs are cached (``<out>/<repo>/pairs.jsonl``), split into ``folds`` deterministic
folds grouped by ``split`` (identical for every system, so statistics stay paired), and every requested system is
run on the chosen folds: the test part is the fold, the training part the other folds. Only training folds are
indexed by ``retrieve`` and seen by customization.

With ``retrieval`` = k > 0 the model systems get retrieval-augmented input (k nearest training-fold tests, the
same as ``--retrieval k`` in the product) and are stored under their own cell names (``l-ldb+r2``), so a
results folder holds runs with and without it side by side and the report shows both.

With ``validate`` every row also gets the compile/run outcome of its top-5 candidates, placed into the developer's
test class (:mod:`customizer.evaluate.validation`); a cell is then done only when its rows carry outcomes, and a
cell computed earlier without them is validated from its stored candidates rather than recomputed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customizer.evaluate.scoring import score_pair
from customizer.evaluate.store import Cell, is_done, read_cell, write_cell
from customizer.evaluate.systems import retrieve_candidates
from customizer.mining.folds import split_folds
from customizer.mining.miner import mine_repository
from customizer.mining.pairs import Pair, read_pairs, write_pairs

Log = Callable[[str], None]


@dataclass
class EvalConfig:
    out: Path
    systems: Sequence[str] = ("retrieve", "base", "l-ldb")
    folds: int = 4
    run_folds: Sequence[int] | None = None  # None = all folds
    splits: Sequence[str] = ("method",)
    seed: int = 0
    max_test: int | None = None  # cap on test pairs per fold (deterministic sample)
    candidates: int = 5
    device: str = "auto"
    base_model: str | None = None
    max_minutes: float | None = None  # per customization
    retrieval: int = 0  # nearest training-fold tests in each model input (0: off)
    validate: bool = False  # compile and run the top-5 candidates of every test pair in the repository
    classpath: str | None = None  # extra classpath entries for validation (``:``-separated, ``dir/*``)
    test_timeout: float | None = None  # seconds per validated test method (None: the product's default)
    extra: dict[str, Any] = field(default_factory=dict)


def system_cell_name(system: str, retrieval: int) -> str:
    """The cell name of a system: ``l-ldb+r2`` with 2 retrieved tests in the input; ``retrieve`` has no input."""
    return system if retrieval <= 0 or system == "retrieve" else f"{system}+r{retrieval}"


def mined_pairs(repo: Path, out: Path, log: Log) -> tuple[str, list[Pair]]:
    """Mine once per repository and cache the pairs beside the results."""
    name = repo.resolve().name
    cache = out / name / "pairs.jsonl"
    if cache.exists():
        return name, read_pairs(cache)
    t0 = time.time()
    result = mine_repository(repo)
    write_pairs(cache, result.pairs)
    log(f"{name}: mined {len(result.pairs)} pairs in {time.time() - t0:.1f}s")
    return name, result.pairs


def sample_test(pairs: list[Pair], limit: int | None, seed: int) -> list[Pair]:
    if limit is None or len(pairs) <= limit:
        return pairs
    key = lambda p: hashlib.sha1(f"{seed}:{p.id}".encode()).hexdigest()  # noqa: E731
    return sorted(sorted(pairs, key=key)[:limit], key=lambda p: p.id)


def run_cell(system: str, train: list[Pair], test: list[Pair], cfg: EvalConfig, log: Log
             ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Candidates and metrics for one system on one fold; returns (rows, run info)."""
    t0 = time.time()
    if system == "retrieve":
        cands = retrieve_candidates(train, test, cfg.candidates)
        rows = [score_pair(p, c) for p, c in zip(test, cands, strict=True)]
        return rows, {"system": system, "wall_s": round(time.time() - t0, 3), "pflops": 0.0,
                      "indexed_pairs": len(train)}
    from customizer.evaluate.model_systems import run_model_system

    return run_model_system(system, train, test, cfg, log)


def _validator(repo: Path, name: str, cfg: EvalConfig) -> Any:
    from customizer.evaluate.validation import CandidateValidator, repo_conventions

    conventions = repo_conventions(repo, cfg.out, name)
    return CandidateValidator(repo, conventions, cfg.classpath, cache_dir=cfg.out / "_build-cache",
                              test_timeout=cfg.test_timeout)


def _record_build(validator: Any, name: str, cfg: EvalConfig, pairs: list[Pair], log: Log) -> None:
    """Record whether (and why not) the project's modules holding ``pairs``' tests build here, and how many of
    the developers' own tests of ``pairs`` pass when validated like candidates (the control)."""
    from customizer.evaluate.validation import reference_control, write_build_record

    t0 = time.time()
    record = validator.build_record([p.test.file for p in pairs])
    if validator.control is None:
        validator.control = reference_control(validator, pairs)
    record["reference_control"] = validator.control
    write_build_record(cfg.out, name, record)
    log(f"{name}: project {'builds' if record['builds'] else 'does not build'} here"
        f"{': ' + record['reason'] if record['reason'] else ''} ({time.time() - t0:.1f}s)")


def _validate_rows(validator: Any, rows: list[dict[str, Any]], pairs: list[Pair]) -> dict[str, Any]:
    by_id = {p.id: p for p in pairs}  # all of the repository's pairs: a stored cell may predate --max-test
    t0, before = time.time(), validator.validated
    for row in rows:
        row["validation"] = validator.validate_pair(by_id[row["id"]], row.get("candidates", []))
    return {"wall_s": round(time.time() - t0, 2), "validated_candidates": validator.validated - before}


def evaluate_repositories(repos: Sequence[Path], cfg: EvalConfig, log: Log = print) -> int:
    """Run every missing cell (and, with ``cfg.validate``, validate every cell); returns how many cells were
    computed or validated in this call."""
    from customizer.evaluate.validation import has_candidates, is_validated

    computed = 0
    for repo in repos:
        name, pairs = mined_pairs(repo, cfg.out, log)
        validator = None
        for split in cfg.splits:
            folds = split_folds(pairs, k=cfg.folds, seed=cfg.seed, group=split)
            for fold in (cfg.run_folds if cfg.run_folds is not None else range(cfg.folds)):
                test = sample_test(folds[fold], cfg.max_test, cfg.seed)
                train = [p for i, f in enumerate(folds) if i != fold for p in f]
                if cfg.validate and validator is None:  # the build record, even when every cell is done
                    validator = _validator(repo, name, cfg)
                    _record_build(validator, name, cfg, test, log)
                for system in cfg.systems:
                    cell = Cell(name, split, fold, system_cell_name(system, cfg.retrieval))
                    rows: list[dict[str, Any]] | None = None
                    run: dict[str, Any] | None = None
                    if is_done(cfg.out, cell):
                        if not cfg.validate:
                            continue
                        rows, run = read_cell(cfg.out, cell)
                        if is_validated(rows):
                            continue
                        if not has_candidates(rows):  # stored before rows kept their candidates
                            rows = None
                    if rows is None:
                        log(f"{name} {split} fold {fold}: {cell.system} (train {len(train)}, test {len(test)})")
                        rows, run = run_cell(system, train, test, cfg, log)
                    if cfg.validate:
                        _record_build(validator, name, cfg, test, log)
                        info = _validate_rows(validator, rows, pairs)
                        run = {**(run or {"system": cell.system}), "validation": info}
                        log(f"{name} {split} fold {fold}: {cell.system} validated "
                            f"{info['validated_candidates']} candidates in {info['wall_s']}s")
                    write_cell(cfg.out, cell, rows, run)
                    computed += 1
    return computed
