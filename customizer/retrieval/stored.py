"""The retrieval index kept with an adapter, and the HEAD+status key that says whether it is still fresh.

What is stored is the index's *input*, the mined pairs as JSONL, not a serialized BM25: on examples/shopkit
(224 pairs) mining takes about 0.8 s but building BM25 from the pairs only about 0.08 s (bench/bench_retrieval.py,
docs/benchmarks.md), so the expensive part is mining, and a pickled index would put executable data into the
adapter store. The pairs are fresh while the repository's HEAD commit and its tracked Java files (mining reads the
working tree) are what they were at customization; otherwise the generator mines again and
keeps that index in memory under the new key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from customizer.adapters import AdapterMeta, AdapterStore
from customizer.errors import DatasetFormatError
from customizer.mining.pairs import Pair, pairs_to_jsonl, read_pairs

INDEX_FILE = "retrieval-pairs.jsonl"
_TRACKED_JAVA: dict[Path, tuple[tuple[int, int], list[str]]] = {}  # root → (.git/index signature, Java paths)


def worktree_state(repo: str | os.PathLike[str]) -> tuple[Path, str]:
    """(work tree root, key of HEAD + the tracked ``.java`` files' size and mtime + the miner's version): the key
    changes when HEAD moves, a tracked Java file (all that mining reads) is added, removed or edited, or
    TestTailor's miner changes, which is when mined pairs may change.

    All in-process, no ``git`` subprocess: this runs on every resolve of the language server, and under load a
    ``git status`` alone took 20–40 ms of the 50 ms budget (bench/bench_retrieval.py). HEAD is read from the ref
    files, the tracked paths from ``.git/index`` (parsed again only when that file changes), then one ``stat``
    per tracked Java file.
    """
    from git import IndexFile
    from git.refs.symbolic import SymbolicReference

    from customizer.mining.gitfiles import open_repository
    from customizer.mining.version import miner_fingerprint

    git_repo = open_repository(repo)
    root = Path(git_repo.working_tree_dir or repo).resolve()
    try:
        head = SymbolicReference.dereference_recursive(git_repo, "HEAD")
    except ValueError:  # no commit yet
        head = ""
    try:
        st = (Path(git_repo.git_dir) / "index").stat()
        index_signature = (st.st_mtime_ns, st.st_size)
    except OSError:
        index_signature = (0, 0)
    cached = _TRACKED_JAVA.get(root)
    if cached is not None and cached[0] == index_signature:
        java = cached[1]
    else:
        entries = IndexFile(git_repo).entries if index_signature != (0, 0) else {}
        java = sorted({path for path, _stage in entries if str(path).endswith(".java")})
        _TRACKED_JAVA[root] = (index_signature, java)
    digest = hashlib.sha256(f"{head}\0{index_signature}\0{miner_fingerprint()}\n".encode())
    base = str(root)
    for rel in java:
        try:
            st = os.stat(os.path.join(base, rel))
            digest.update(f"{rel}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
        except OSError:
            digest.update(f"{rel}\0missing\n".encode())
    return root, digest.hexdigest()


def index_files(pairs: Sequence[Pair]) -> dict[str, bytes]:
    """The files that store an index with an adapter (``AdapterStore.save(..., extra_files=...)``)."""
    return {INDEX_FILE: pairs_to_jsonl(pairs).encode("utf-8")}


def stored_pairs(store: AdapterStore, meta: AdapterMeta | None, state: str) -> list[Pair] | None:
    """The pairs stored with the adapter of ``meta`` when they are fresh for ``state``; None otherwise."""
    if meta is None or not meta.index_state or meta.index_state != state:
        return None
    path = store.path(meta.repo_key, meta.strategy) / INDEX_FILE
    if not path.is_file():
        return None  # imported adapters carry no index: the generator mines instead
    try:
        return read_pairs(path)
    except DatasetFormatError:
        return None
