"""``testtailor corpus``: build the base model's pretraining corpus from Debian Java source packages.

Subcommands: ``fetch`` (source package → git repo), ``build`` (mine repos), ``merge`` (dedup + shards),
``report`` (``docs/corpus.md``), ``tokenizer`` (byte-level BPE). All data lives under
``~/.cache/testtailor-dev/`` (override with ``TESTTAILOR_DEV_CACHE``); every step is resumable.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from customizer.corpus.errors import CorpusError
from customizer.corpus.lists import PackageLists


def _lists(args: argparse.Namespace) -> PackageLists:
    return PackageLists.load(Path(args.lists_dir) if args.lists_dir else None)


def _emit(args: argparse.Namespace, data: Any, human: str) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else human)


def _cmd_fetch(args: argparse.Namespace) -> int:
    from customizer.corpus.debian import FetchStatus, fetch_packages
    from customizer.corpus.paths import debian_layout

    lists = _lists(args)
    packages: list[str] = list(args.packages)
    if args.list in ("dev-eval", "all"):
        packages += list(lists.dev_eval)
    if args.list in ("pretrain", "all"):
        packages += list(lists.pretrain)
    if not packages:
        raise CorpusError("name packages or pass --list dev-eval|pretrain|all")
    packages = list(dict.fromkeys(packages))
    for p in packages:
        lists.check_known(p)
    layout = debian_layout()
    total = len(packages)
    count = 0

    def progress(res: FetchStatus) -> None:
        nonlocal count
        count += 1
        if not args.json:
            print(f"[{count}/{total}] {res.package}: {res.status} {res.reason or res.version}", flush=True)

    results = fetch_packages(packages, layout, jobs=args.jobs, keep_tarballs=args.keep_tarballs,
                             force=args.force, on_done=progress)
    summary: dict[str, int] = {}
    for r in results:
        summary[r.status] = summary.get(r.status, 0) + 1
    _emit(args, {"summary": summary, "packages": [asdict(r) for r in results]},
          f"{total} packages: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.items())) + f" → {layout.root}")
    return 0 if summary.get("error", 0) == 0 else 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("corpus", help="build the base model's pretraining corpus (developers)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=lambda a: (parser.print_help(), 2)[1])
    sub = parser.add_subparsers(dest="corpus_command", metavar="STEP")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lists-dir", help="folder holding pretrain-packages.txt and dev-eval-packages.txt")
        p.add_argument("--json", action="store_true", help="print JSON")

    fetch = sub.add_parser("fetch", help="Debian source packages → git repos under debian/repos/")
    fetch.add_argument("packages", nargs="*", help="package names (must be on one of the two lists)")
    fetch.add_argument("--list", choices=("dev-eval", "pretrain", "all"), help="fetch a whole list (dev-eval first)")
    fetch.add_argument("--jobs", type=int, default=6, help="parallel downloads (default 6)")
    fetch.add_argument("--keep-tarballs", action="store_true", help="keep the orig tarballs in debian/src/")
    fetch.add_argument("--force", action="store_true", help="refetch packages already done")
    common(fetch)
    fetch.set_defaults(func=_cmd_fetch)

    _register_later_steps(sub, common)


def _cmd_build(args: argparse.Namespace) -> int:
    from customizer.corpus.build import build_all
    from customizer.corpus.paths import corpus_layout

    lists = _lists(args)
    if args.dev_eval:
        packages = list(args.packages) or list(lists.dev_eval)
    else:
        packages = list(args.packages) or list(lists.pretrain)
    layout = corpus_layout()
    results = build_all(packages, lists, dev_eval=args.dev_eval, jobs=args.jobs, force=args.force, stale=args.stale,
                        timeout_s=args.timeout, lists_dir=Path(args.lists_dir) if args.lists_dir else None,
                        layout=layout,
                        on_done=None if args.json else lambda r: print(
                            f"{r['package']}: {r['status']} pairs={r.get('pairs', 0)} methods={r.get('methods', 0)}",
                            flush=True))
    failed = [r for r in results if r["status"] == "failed"]
    _emit(args, {"built": len(results), "failed": [r["package"] for r in failed], "log": str(layout.log)},
          f"{len(results)} packages processed, {len(failed)} failed (retried on the next run); log: {layout.log}")
    return 1 if failed else 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from customizer.corpus.merge import merge
    from customizer.corpus.paths import corpus_layout

    stats = merge(_lists(args))
    pairs = stats["pairs"]
    _emit(args, stats, f"pairs: {pairs['mined']} mined → {pairs['train']} train + {pairs['validation']} validation; "
          f"methods: {stats['methods']['kept']} → {corpus_layout().final}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from customizer.corpus.report import write_report

    path = write_report(_lists(args), Path(args.out))
    _emit(args, {"report": str(path)}, f"wrote {path}")
    return 0


def _cmd_tokenizer(args: argparse.Namespace) -> int:
    from customizer.corpus.tokenizer import train_tokenizer

    out = Path(args.out).expanduser() if args.out else None
    stats = train_tokenizer(vocab_size=args.vocab_size, max_bytes=args.max_mb * 1_000_000, out=out)
    _emit(args, stats, f"tokenizer → {stats['path']}; validation tokens per pair: source "
          f"{stats['validation']['source_mean']}, target {stats['validation']['target_mean']}")
    return 0


def _register_later_steps(sub: Any, common: Any) -> None:
    build = sub.add_parser("build", help="mine the pretraining repos into corpus/pairs and corpus/methods")
    build.add_argument("packages", nargs="*", help="packages (default: the whole pretraining list)")
    build.add_argument("--dev-eval", action="store_true", help="mine the dev-eval packages (decontamination only)")
    build.add_argument("--jobs", type=int, default=1, help="packages mined at once (default 1)")
    build.add_argument("--force", action="store_true", help="rebuild packages already done")
    build.add_argument("--stale", action="store_true", help="rebuild packages mined by another miner version")
    build.add_argument("--timeout", type=int, default=3600, help="wall seconds per package (default 3600)")
    common(build)
    build.set_defaults(func=_cmd_build)

    merge = sub.add_parser("merge", help="decontaminate, de-duplicate, split and shard into corpus/final")
    common(merge)
    merge.set_defaults(func=_cmd_merge)

    report = sub.add_parser("report", help="write docs/corpus.md from the fetch statuses and corpus/final/stats.json")
    report.add_argument("--out", default="docs/corpus.md", help="where to write (default docs/corpus.md)")
    common(report)
    report.set_defaults(func=_cmd_report)

    tok = sub.add_parser("tokenizer", help="train the byte-level BPE tokenizer on methods + pairs")
    tok.add_argument("--vocab-size", type=int, default=16384)
    tok.add_argument("--max-mb", type=int, default=200, help="megabytes of training text (default 200)")
    tok.add_argument("--out", help="tokenizer directory (default ~/.cache/testtailor-dev/tokenizer)")
    common(tok)
    tok.set_defaults(func=_cmd_tokenizer)
