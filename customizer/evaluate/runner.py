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

With ``jobs`` > 1 the missing cells are computed by that many worker processes, in the order split, system,
repository, fold: every repository gets a system before any gets the next one, so a run stopped early (by a
budget, SIGTERM) leaves whole columns of the report rather than whole rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from customizer.defaults import agreement_applies
from customizer.evaluate.hybrid import hybrid_cell, is_hybrid, parts
from customizer.evaluate.scoring import TOP_K, score_pair
from customizer.evaluate.store import Cell, is_done, read_cell, read_json_if_present, write_cell
from customizer.evaluate.systems import RETRIEVAL_SYSTEMS, retrieve_candidates
from customizer.mining.folds import split_folds
from customizer.mining.miner import mine_repository
from customizer.mining.pairs import Pair, read_pairs, write_pairs
from customizer.retrieval.rerank import reranker_id

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
    runtime: str = "torch"  # what decodes the model systems: torch, onnx, onnx-int8 or auto (customizer.ort)
    base_model: str | None = None
    max_minutes: float | None = None  # per customization
    max_pflops: float | None = None  # per customization (device-independent)
    retrieval: int = 0  # nearest training-fold tests in each model input (0: off)
    validate: bool = False  # compile and run the top-5 candidates of every test pair in the repository
    classpath: str | None = None  # extra classpath entries for validation (``:``-separated, ``dir/*``)
    test_timeout: float | None = None  # seconds per validated test method (None: the product's default)
    jobs: int = 1  # cells computed at once in worker processes (a GPU has room for several small models)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fold_indices(self) -> Sequence[int]:
        return self.run_folds if self.run_folds is not None else range(self.folds)


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


def fold_parts(folds: list[list[Pair]], fold: int, cfg: EvalConfig) -> tuple[list[Pair], list[Pair]]:
    """(training part, test part) of one fold: every other fold, and the fold's deterministic test sample."""
    return ([p for i, f in enumerate(folds) if i != fold for p in f],
            sample_test(folds[fold], cfg.max_test, cfg.seed))


def run_cell(system: str, train: list[Pair], test: list[Pair], cfg: EvalConfig, log: Log
             ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Candidates and metrics for one system on one fold; returns (rows, run info)."""
    t0 = time.time()
    if system in RETRIEVAL_SYSTEMS:
        rerank = system == "retrieve"
        cands = retrieve_candidates(train, test, cfg.candidates, rerank=rerank)
        rows = [score_pair(p, c) for p, c in zip(test, cands, strict=True)]
        return rows, {"system": system, "wall_s": round(time.time() - t0, 3), "pflops": 0.0,
                      "indexed_pairs": len(train), "reranker": reranker_id() if rerank else None, "distinct": True}
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

    if cfg.jobs > 1:
        if cfg.validate:
            raise ValueError("--validate builds and runs each project's tests one cell at a time: use --jobs 1")
        return _evaluate_in_workers(repos, cfg, log)
    computed = 0
    for repo in repos:
        name, pairs = mined_pairs(repo, cfg.out, log)
        validator = None
        for split in cfg.splits:
            folds = split_folds(pairs, k=cfg.folds, seed=cfg.seed, group=split)
            for fold in cfg.fold_indices:
                train, test = fold_parts(folds, fold, cfg)
                if cfg.validate and validator is None:  # the build record, even when every cell is done
                    validator = _validator(repo, name, cfg)
                    _record_build(validator, name, cfg, test, log)
                for system in cfg.systems:
                    cell = Cell(name, split, fold, system_cell_name(system, cfg.retrieval))
                    rows: list[dict[str, Any]] | None = None
                    run: dict[str, Any] | None = None
                    # a stale cell is made again below and written over atomically (never removed first: a report
                    # or a second run reading the folder meanwhile still finds it)
                    stale = is_stale(cfg.out, cell)
                    if is_done(cfg.out, cell) and not stale:
                        if not cfg.validate:
                            continue
                        rows, run = read_cell(cfg.out, cell)
                        if is_validated(rows):
                            continue
                        if not has_candidates(rows):  # stored before rows kept their candidates
                            rows = None
                    if rows is None and is_hybrid(system):
                        made = hybrid_cell(cfg.out, cell, test)
                        if made is None:
                            log(f"{name} {split} fold {fold}: {cell.system} needs the "
                                f"{' and '.join(part.system for part in parts(cell))} cells first (list them "
                                "before it)")
                            continue
                        rows, run = made
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


def is_stale(out: Path, cell: Cell) -> bool:
    """A stored cell that no longer measures what the product does now, so a run makes it again: a retrieval cell
    made before the retrieved tests were distinct (``customizer.retrieval.nearest_adapted``) or with other
    re-ranker weights; a hybrid cell older than one of its parts (a part recomputed since), or made with the
    model's candidates ordered otherwise than the product orders them now (``customizer.defaults.AGREEMENT_ORDER``).
    Model cells are never stale: they are the costly ones, and their runs record what they were made with."""
    if not is_done(out, cell):
        return False
    run = read_json_if_present(cell.run_path(out)) or {}
    if cell.system in RETRIEVAL_SYSTEMS:
        return not run.get("distinct") or (cell.system == "retrieve" and run.get("reranker") != reranker_id())
    if not is_hybrid(cell.system):
        return False
    made = cell.path(out).stat().st_mtime
    if any(is_done(out, part) and part.path(out).stat().st_mtime > made for part in parts(cell)):
        return True
    return bool(run.get("agreement", False)) != agreement_applies(run.get("retrieved_first", 0), TOP_K)


# --- several cells at once ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    repo: Path
    cell: Cell
    system: str  # the cell's system without its retrieval suffix


def _pending(repos: Sequence[Path], cfg: EvalConfig, log: Log) -> Iterator[_Task]:
    """Missing or stale cells in the order split, system, repository, fold (pairs mined and cached on the way)."""
    names = {repo: mined_pairs(repo, cfg.out, log)[0] for repo in repos}
    for split in cfg.splits:
        for system in cfg.systems:
            for repo in repos:
                for fold in cfg.fold_indices:
                    cell = Cell(names[repo], split, fold, system_cell_name(system, cfg.retrieval))
                    if (not is_done(cfg.out, cell) or is_stale(cfg.out, cell)) and not is_hybrid(system):
                        yield _Task(repo, cell, system)


_WORKER_FOLDS: dict[tuple[str, str], list[list[Pair]]] = {}


def _worker_init(threads: int) -> None:
    os.environ["TESTTAILOR_THREADS"] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop


def _run_task(task: _Task, cfg: EvalConfig) -> str:
    """Compute and store one cell in a worker process; returns its log line."""
    cell = task.cell
    key = (cell.repo, cell.split)
    if key not in _WORKER_FOLDS:
        _, pairs = mined_pairs(task.repo, cfg.out, print)
        _WORKER_FOLDS[key] = split_folds(pairs, k=cfg.folds, seed=cfg.seed, group=cell.split)
    train, test = fold_parts(_WORKER_FOLDS[key], cell.fold, cfg)
    t0 = time.time()
    rows, run = run_cell(task.system, train, test, cfg,
                         lambda m: print(f"[{cell.repo} {cell.system}] {m}", flush=True))
    write_cell(cfg.out, cell, rows, run)
    return (f"{cell.repo} {cell.split} fold {cell.fold}: {cell.system} (train {len(train)}, test {len(test)}) "
            f"done in {time.time() - t0:.0f}s")


def _end_workers(pool: ProcessPoolExecutor, grace_s: float = 5.0) -> None:
    """Terminate the pool's workers and make sure they are gone (a worker inside a CUDA call may ignore SIGTERM
    for a while; a stopped evaluation must not wait on it)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)


def _evaluate_in_workers(repos: Sequence[Path], cfg: EvalConfig, log: Log) -> int:
    computed = _computed_in_workers(repos, cfg, log)
    if any(is_hybrid(s) for s in cfg.systems):  # made from stored cells, in this process (no model runs)
        hybrids = dataclasses.replace(cfg, systems=[s for s in cfg.systems if is_hybrid(s)], jobs=1)
        computed += evaluate_repositories(repos, hybrids, log)
    return computed


def _computed_in_workers(repos: Sequence[Path], cfg: EvalConfig, log: Log) -> int:
    tasks = list(_pending(repos, cfg, log))
    log(f"{len(tasks)} cells to compute with {cfg.jobs} workers")
    if not tasks:
        return 0
    threads = max(1, (os.cpu_count() or 1) // cfg.jobs)
    stop = {"now": False}

    def on_term(signum: int, _frame: Any) -> None:
        stop["now"] = True

    previous = signal.signal(signal.SIGTERM, on_term)
    computed = 0
    context = multiprocessing.get_context("spawn")  # CUDA cannot be used in forked children
    pool = ProcessPoolExecutor(max_workers=cfg.jobs, mp_context=context, initializer=_worker_init,
                               initargs=(threads,))
    try:
        running: dict[Future[str], _Task] = {}
        queue = iter(tasks)
        while True:
            while not stop["now"] and len(running) < cfg.jobs:
                task = next(queue, None)
                if task is None:
                    break
                running[pool.submit(_run_task, task, cfg)] = task
            if not running or stop["now"]:
                break
            try:
                done, _ = wait(list(running), timeout=1.0, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:  # workers ignore SIGINT; end them rather than wait for their cells
                stop["now"] = True
                break
            for future in done:
                task = running.pop(future)
                try:
                    log(future.result())
                    computed += 1
                except BrokenProcessPool:  # a worker was killed: by the signal that stops us, or by the system
                    if not stop["now"]:
                        log("a worker process died (out of memory?): finished cells are kept; run again to resume")
                    return computed
                except Exception as exc:  # one failing cell does not stop the others; it stays missing
                    log(f"{task.cell.repo} {task.cell.split} fold {task.cell.fold}: {task.cell.system} failed: "
                        f"{type(exc).__name__}: {exc}")
    finally:
        if stop["now"]:
            log(f"stopped: {computed} cells computed in this run; the running ones stay missing")
            _end_workers(pool)
        pool.shutdown(wait=not stop["now"], cancel_futures=True)
        signal.signal(signal.SIGTERM, previous)
    return computed
