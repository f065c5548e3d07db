"""``testtailor adapters list|show|remove|export|import``: the adapters stored on this machine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from customizer.errors import AdapterError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("adapters", help="list, show, remove, export or import stored adapters",
                                   description="Manage the adapters stored on this machine (one per repository "
                                   "and strategy). TARGET is a repository path or a repository key from `list`.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every stored adapter, newest first")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    show = sub.add_parser("show", help="an adapter's metadata")
    _target(show)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=run_show)
    remove = sub.add_parser("remove", help="delete an adapter (all of the repository's without --strategy)")
    remove.add_argument("target", metavar="TARGET", help="repository path or key")
    remove.add_argument("--strategy", help="only this strategy's adapter")
    remove.set_defaults(func=run_remove)
    export = sub.add_parser("export", help="write an adapter to one .safetensors file to share")
    _target(export)
    export.add_argument("--out", required=True, metavar="FILE", help="file (or folder) to write")
    export.set_defaults(func=run_export)
    imported = sub.add_parser("import", help="store an adapter exported with `adapters export`")
    imported.add_argument("file", metavar="FILE", help="the exported .safetensors file")
    imported.add_argument("--worktree", metavar="PATH", help="your clone of the repository (checked and recorded)")
    imported.set_defaults(func=run_import)


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET", help="repository path or key")
    parser.add_argument("--strategy", help="the adapter's strategy (needed when the repository has several)")


def _resolve(target: str, strategy: str | None) -> tuple[str, str]:
    """(repo key, strategy) for a repository path or a (prefix of a) stored repository key."""
    from customizer.adapters import AdapterStore, repo_key

    metas = AdapterStore().list()
    if Path(target).exists():
        key = repo_key(target)
    else:
        keys = sorted({m.repo_key for m in metas if m.repo_key.startswith(target)})
        if len(keys) != 1:
            what = "no stored adapter" if not keys else f"{len(keys)} repositories"
            raise AdapterError(f"{target!r} matches {what}; pass a repository path or a key from "
                               "`testtailor adapters list`")
        key = keys[0]
    if strategy:
        return key, strategy
    strategies = sorted(m.strategy for m in metas if m.repo_key == key)
    if not strategies:
        raise AdapterError(f"no adapter for {target}; run `testtailor customize-project REPO` first")
    if len(strategies) > 1:
        raise AdapterError(f"the repository has adapters for {', '.join(strategies)}; pass --strategy")
    return key, strategies[0]


def run_list(args: argparse.Namespace) -> int:
    from customizer.adapters import AdapterStore

    store = AdapterStore()
    metas = store.list()
    if args.json:
        print(json.dumps([{**m.to_dict(), "size_bytes": store.size(m.repo_key, m.strategy)} for m in metas], indent=2))
        return 0
    if not metas:
        print("no adapters stored; create one with `testtailor customize-project REPO`")
    for m in metas:
        print(f"{m.repo_key[:12]}  {m.repo_name:<24} {m.strategy:<7} val loss {m.best_val_loss} "
              f"(base {m.base_val_loss})  {m.dataset_size} pairs  {_megabytes(store.size(m.repo_key, m.strategy))}  "
              f"{m.created}  {m.worktree}")
    return 0


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def run_show(args: argparse.Namespace) -> int:
    from customizer.adapters import AdapterStore

    key, strategy = _resolve(args.target, args.strategy)
    store = AdapterStore()
    meta = store.read_meta(key, strategy)
    size = store.size(key, strategy)
    if args.json:
        print(json.dumps({**meta.to_dict(), "path": str(store.path(key, strategy)), "size_bytes": size}, indent=2))
    else:
        print(f"path: {store.path(key, strategy)}")
        print(f"size on disk: {_megabytes(size)}")
        for name, value in meta.to_dict().items():
            print(f"{name}: {json.dumps(value) if isinstance(value, dict | list) else value}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from customizer.adapters import AdapterStore, export_owner, repo_key
    from customizer.ort.disk_budget import remove_owned
    from customizer.ort.export import default_cache_root

    key = repo_key(args.target) if Path(args.target).exists() else _resolve(args.target, args.strategy or "*")[0]
    for path in AdapterStore().remove(key, args.strategy):
        print(f"removed {path}")
        for export in remove_owned(default_cache_root(), export_owner(key, path.name)):
            print(f"removed its ONNX export {export}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from customizer.adapters import AdapterStore

    key, strategy = _resolve(args.target, args.strategy)
    print(AdapterStore().export(key, strategy, args.out))
    return 0


def run_import(args: argparse.Namespace) -> int:
    from customizer.adapters import AdapterStore

    meta = AdapterStore().import_(args.file, worktree=args.worktree)
    print(f"imported the {meta.strategy} adapter for {meta.repo_name} ({meta.repo_key[:12]})")
    return 0
