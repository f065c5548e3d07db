"""Mine every pretraining package's repository into per-package JSONL; resumable per package.

For each package of ``pretrain-packages.txt`` (a dev-eval or unlisted package is refused):
``corpus/pairs/<pkg>.jsonl`` (the project's miner, one pair a line), ``corpus/methods/<pkg>.jsonl``
(plain methods of non-test files) and last the done marker ``corpus/done/<pkg>.json``; a package with a
done marker is skipped. Dev-eval packages are mined only for decontamination, into
``corpus/dev-eval/<pkg>.jsonl`` (pairs) and ``corpus/dev-eval/<pkg>.methods.jsonl`` (every method).

Each package runs in its own subprocess (``python -m customizer.corpus.build PKG``) with a time limit,
so a pathological repository cannot stall or crash the whole build.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from customizer.corpus.errors import CorpusError
from customizer.corpus.jsonl import write_jsonl
from customizer.corpus.lists import PackageLists
from customizer.corpus.methods import extract_methods
from customizer.corpus.paths import (
    CorpusLayout,
    DebianLayout,
    atomic_write_json,
    corpus_layout,
    debian_layout,
    read_json,
)
from customizer.errors import NoJavaFilesError, NoTestsFoundError
from customizer.mining.version import miner_fingerprint

PACKAGE_TIMEOUT_S = 3600
# Done-marker statuses, all final (rerun one with --force); FAILED is only reported, and retried next run.
BUILT = "built"
NO_REPO = "no_repo"
TIMEOUT = "timeout"
FAILED = "failed"

Miner = Callable[[Path], Any]


def default_miner(repo: Path) -> Any:
    """``customizer.mining.mine_repository`` (imported late: the miner is optional at import time)."""
    try:
        from customizer.mining import mine_repository
    except ImportError:
        try:
            from customizer.mining.miner import mine_repository
        except ImportError as exc:
            raise CorpusError(f"the miner customizer.mining.mine_repository is not available ({exc})") from exc
    return mine_repository(repo)


def _mine(miner: Miner, repo: Path) -> tuple[Any, str]:
    """Run the miner; a repository without tests (or without Java) gives no pairs, not an error."""
    try:
        return miner(repo), ""
    except (NoTestsFoundError, NoJavaFilesError) as exc:
        return SimpleNamespace(pairs=[], summary=None), type(exc).__name__


def _pair_records(result: Any, package: str) -> list[dict[str, Any]]:
    records = []
    for pair in result.pairs:
        record = pair.to_dict() if hasattr(pair, "to_dict") else dict(pair)
        record["package"] = package
        records.append(record)
    return records


def _mining_stats(result: Any) -> dict[str, Any]:
    stats = getattr(result, "summary", None) or getattr(result, "stats", None)
    if stats is None:
        return {}
    if hasattr(stats, "to_dict"):
        return stats.to_dict()
    if isinstance(stats, dict):
        return stats
    return {k: v for k, v in vars(stats).items() if isinstance(v, (int, float, str))}


def is_done(package: str, layout: CorpusLayout, fingerprint: str | None = None) -> bool:
    """A package is done when its done marker is a readable JSON object (made by ``fingerprint``, if given)."""
    marker = read_json(layout.done_file(package))
    if not isinstance(marker, dict):
        return False
    return fingerprint is None or marker.get("status") != BUILT or marker.get("miner") == fingerprint


def _mine_and_write(miner: Miner, repo: Path, package: str, pairs_file: Path, methods_file: Path,
                    include_tests: bool = False) -> tuple[Any, str, int, int]:
    """Mine ``repo`` into ``pairs_file`` and its plain methods into ``methods_file``; returns the result, the
    reason there are no pairs (or ""), and the two counts."""
    result, no_pairs = _mine(miner, repo)
    n_pairs = write_jsonl(pairs_file, _pair_records(result, package))
    methods = ({**m, "package": package} for m in extract_methods(repo, include_tests=include_tests))
    return result, no_pairs, n_pairs, write_jsonl(methods_file, methods)


def build_package(
    package: str,
    lists: PackageLists,
    *,
    debian: DebianLayout | None = None,
    layout: CorpusLayout | None = None,
    miner: Miner = default_miner,
    force: bool = False,
) -> dict[str, Any]:
    """Mine one pretraining package; return (and write) its done marker. Refuses dev-eval/unlisted ones."""
    lists.check_pretrain(package)
    debian = debian or debian_layout()
    layout = layout or corpus_layout()
    done = layout.done_file(package)
    if not force and is_done(package, layout):
        return read_json(done)  # type: ignore[no-any-return]
    start = time.monotonic()
    repo = debian.repo(package)
    status = read_json(debian.status_file(package)) or {}
    if not repo.joinpath(".git").is_dir():
        reason = status.get("reason") or "repository not fetched (run `testtailor corpus fetch` first)"
        if status.get("status") not in ("ok", "no_orig"):
            raise CorpusError(f"{package}: {reason}")
        marker: dict[str, Any] = {"package": package, "status": NO_REPO, "reason": reason, "pairs": 0, "methods": 0}
    else:
        result, no_pairs, n_pairs, n_methods = _mine_and_write(
            miner, repo, package, layout.pairs / f"{package}.jsonl", layout.methods / f"{package}.jsonl")
        marker = {"package": package, "status": BUILT, "pairs": n_pairs, "methods": n_methods,
                  "mining": _mining_stats(result), "miner": miner_fingerprint()}
        if no_pairs:
            marker["no_pairs_reason"] = no_pairs
    marker["seconds"] = round(time.monotonic() - start, 2)
    atomic_write_json(done, marker)
    return marker


def build_dev_eval_package(
    package: str,
    lists: PackageLists,
    *,
    debian: DebianLayout | None = None,
    layout: CorpusLayout | None = None,
    miner: Miner = default_miner,
    force: bool = False,
) -> dict[str, Any]:
    """Mine a dev-eval package for decontamination only (never written where training reads)."""
    if package not in lists.dev_eval:
        raise CorpusError(f"{package} is not a dev-eval package")
    debian = debian or debian_layout()
    layout = layout or corpus_layout()
    folder = layout.root / "dev-eval"
    done = folder / f"{package}.done.json"
    if not force and isinstance(read_json(done), dict):
        return read_json(done)  # type: ignore[no-any-return]
    repo = debian.repo(package)
    if not repo.joinpath(".git").is_dir():
        raise CorpusError(f"dev-eval package {package} is not fetched; run `testtailor corpus fetch --list dev-eval`")
    start = time.monotonic()
    _, _, n_pairs, n_methods = _mine_and_write(miner, repo, package, folder / f"{package}.jsonl",
                                               folder / f"{package}.methods.jsonl", include_tests=True)
    marker = {"package": package, "status": BUILT, "pairs": n_pairs, "methods": n_methods,
              "seconds": round(time.monotonic() - start, 2)}
    atomic_write_json(done, marker)
    return marker


def _log(layout: CorpusLayout, line: str) -> None:
    layout.root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with layout.log.open("a", encoding="utf-8") as fh:
        fh.write(f"{stamp} {line}\n")


def _run_one(package: str, dev_eval: bool, force: bool, timeout_s: int, lists_dir: Path | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "customizer.corpus.build", package]
    if dev_eval:
        cmd.append("--dev-eval")
    if force:
        cmd.append("--force")
    if lists_dir:
        cmd += ["--lists-dir", str(lists_dir)]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return {"package": package, "status": TIMEOUT, "reason": f"over {timeout_s} s", "pairs": 0, "methods": 0,
                "seconds": round(time.monotonic() - start, 2)}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"package": package, "status": FAILED, "reason": f"exit {proc.returncode}: {tail[:300]}",
                "pairs": 0, "methods": 0, "seconds": round(time.monotonic() - start, 2)}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def build_all(
    packages: Sequence[str],
    lists: PackageLists,
    *,
    dev_eval: bool = False,
    jobs: int = 1,
    force: bool = False,
    stale: bool = False,
    timeout_s: int = PACKAGE_TIMEOUT_S,
    lists_dir: Path | None = None,
    layout: CorpusLayout | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Build ``packages`` (each in a subprocess, ``jobs`` at a time); done ones are skipped unless ``force``."""
    layout = layout or corpus_layout()
    for package in packages:
        if dev_eval:
            if package not in lists.dev_eval:
                raise CorpusError(f"{package} is not a dev-eval package")
        else:
            lists.check_pretrain(package)
    fingerprint = miner_fingerprint() if stale and not dev_eval else None
    todo = [p for p in packages if force or not _marker_exists(p, layout, dev_eval, fingerprint)]
    debian = debian_layout(layout.root.parent)
    waiting = [p for p in todo if (read_json(debian.status_file(p)) or {}).get("status") not in ("ok", "no_orig")]
    todo = [p for p in todo if p not in waiting]
    tag = "dev-eval " if dev_eval else ""
    _log(layout, f"{tag}start: {len(packages)} packages, {len(packages) - len(todo) - len(waiting)} already done, "
                 f"{len(waiting)} not fetched yet (left for the next run), {len(todo)} to do")
    results = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rerun = force or stale
        futures = {pool.submit(_run_one, p, dev_eval, rerun, timeout_s, lists_dir): p for p in todo}
        for n, fut in enumerate(as_completed(futures), 1):
            res = fut.result()
            if res["status"] == TIMEOUT and not dev_eval:  # final; a failure is retried on the next run
                atomic_write_json(layout.done_file(res["package"]), res)
            results.append(res)
            _log(layout, f"{tag}[{n}/{len(todo)}] {res['package']}: {res['status']} pairs={res.get('pairs', 0)} "
                         f"methods={res.get('methods', 0)} {res.get('seconds', 0)}s {res.get('reason', '')}".rstrip())
            if on_done:
                on_done(res)
    _log(layout, f"{tag}finished")
    return results


def _marker_exists(package: str, layout: CorpusLayout, dev_eval: bool, fingerprint: str | None) -> bool:
    if dev_eval:
        return isinstance(read_json(layout.root / "dev-eval" / f"{package}.done.json"), dict)
    return is_done(package, layout, fingerprint)


def main(argv: Sequence[str] | None = None) -> int:
    """One package, in this process; prints its done marker as the last stdout line."""
    parser = argparse.ArgumentParser(prog="python -m customizer.corpus.build")
    parser.add_argument("package")
    parser.add_argument("--dev-eval", action="store_true")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--lists-dir")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(20000)
    lists = PackageLists.load(Path(args.lists_dir) if args.lists_dir else None)
    try:
        build = build_dev_eval_package if args.dev_eval else build_package
        marker = build(args.package, lists, force=args.force)
    except CorpusError as exc:
        print(f"testtailor: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(marker))
    return 0


if __name__ == "__main__":
    sys.exit(main())
