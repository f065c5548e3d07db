"""A Debian source package → a git repository of its original (upstream) tarball(s).

Recipe (``DESIGN.md``, "Where data comes from"): ``apt-get source --download-only PKG`` in an empty
folder; apt often exits non-zero because the mirror lacks the small ``*.debian.tar.*``, so success is
judged by the presence of ``*.orig*.tar.*`` files, not by the exit code. Every orig tarball is unpacked
(the main one at the root, a component ``PKG_V.orig-COMP.tar.*`` under ``COMP/`` as dpkg-source does),
then ``git init && git add -A && git commit`` with a fixed author and date so the commit is reproducible.
Packages without an orig tarball are skipped and reported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from customizer.corpus.errors import CorpusError
from customizer.corpus.paths import DebianLayout, atomic_write_json, read_json

GIT_NAME = "TestTailor corpus"
GIT_EMAIL = "corpus@testtailor.invalid"
GIT_DATE = "2000-01-01T00:00:00+0000"
ORIG_RE = re.compile(r"^(?P<pkg>[^_]+)_(?P<version>[^_]+)\.orig(?:-(?P<component>[A-Za-z0-9-]+))?\.tar\.[a-z0-9]+$")
DOWNLOAD_TIMEOUT_S = 900

# Status values written to ``debian/status/<pkg>.json``.
OK = "ok"
NO_ORIG = "no_orig"  # apt found no orig tarball: skipped, reported
ERROR = "error"  # anything else (network, unpack, git): retried on the next run
FINAL = (OK, NO_ORIG)


@dataclass
class FetchStatus:
    package: str
    status: str
    reason: str = ""
    version: str = ""
    tarballs: list[str] = field(default_factory=list)
    commit: str = ""
    files: int = 0
    java_files: int = 0
    bytes: int = 0
    seconds: float = 0.0


def orig_tarballs(folder: Path) -> list[Path]:
    """The ``*.orig*.tar.*`` files in ``folder``, main tarball first, components by name."""
    found = [p for p in folder.iterdir() if p.is_file() and ORIG_RE.match(p.name)]
    return sorted(found, key=lambda p: (ORIG_RE.match(p.name)["component"] or "", p.name))  # type: ignore[index]


def download_source(package: str, dest: Path, timeout_s: int = DOWNLOAD_TIMEOUT_S) -> tuple[list[Path], str]:
    """Run ``apt-get source --download-only`` in the empty folder ``dest``; return (orig tarballs, apt output)."""
    if shutil.which("apt-get") is None:
        raise CorpusError("apt-get not found; fetching Debian source packages needs a Debian system")
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise CorpusError(f"{dest} is not empty; apt-get source must run in an empty folder")
    proc = subprocess.run(
        ["apt-get", "source", "--download-only", "-q", package],
        cwd=dest,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    return orig_tarballs(dest), (proc.stdout + proc.stderr).strip()


def _single_top_dir(folder: Path) -> Path:
    """The one directory inside ``folder`` if that is all it holds (the usual ``pkg-1.0/`` wrapper)."""
    entries = list(folder.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return folder


def _untar(tarball: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["tar", "-xf", str(tarball), "-C", str(into), "--no-same-owner", "--no-same-permissions"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise CorpusError(f"cannot unpack {tarball.name}: {proc.stderr.strip()[-300:]}")


def unpack_tarballs(tarballs: Sequence[Path], dest: Path) -> None:
    """Unpack the main tarball's contents into ``dest`` and each component's into ``dest/<component>``."""
    dest.mkdir(parents=True, exist_ok=True)
    for tarball in tarballs:
        match = ORIG_RE.match(tarball.name)
        component = match["component"] if match else None
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".unpack-") as tmp:
            _untar(tarball, Path(tmp))
            top = _single_top_dir(Path(tmp))
            target = dest / component if component else dest
            target.mkdir(parents=True, exist_ok=True)
            for entry in top.iterdir():
                destination = target / entry.name
                if destination.exists() or destination.is_symlink():
                    raise CorpusError(f"{tarball.name}: {entry.name} clashes with a file of another tarball")
                shutil.move(str(entry), destination)
    subprocess.run(["chmod", "-R", "u+rwX", str(dest)], check=True)


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": GIT_NAME,
        "GIT_AUTHOR_EMAIL": GIT_EMAIL,
        "GIT_COMMITTER_NAME": GIT_NAME,
        "GIT_COMMITTER_EMAIL": GIT_EMAIL,
        "GIT_AUTHOR_DATE": GIT_DATE,
        "GIT_COMMITTER_DATE": GIT_DATE,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    proc = subprocess.run(
        ["git", "-c", "core.autocrlf=false", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise CorpusError(f"git {args[0]} failed in {repo}: {proc.stderr.strip()[-300:]}")
    return proc.stdout.strip()


def commit_tree(repo: Path, message: str) -> str:
    """``git init && git add -A && git commit`` with a fixed author/date; return the commit sha."""
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def make_repo(package: str, tarballs: Sequence[Path], repo_dir: Path) -> FetchStatus:
    """Unpack ``tarballs`` and commit them as a fresh git repository at ``repo_dir`` (atomically)."""
    if not tarballs:
        return FetchStatus(package, NO_ORIG, reason="no *.orig*.tar.* file")
    match = ORIG_RE.match(tarballs[0].name)
    version = match["version"] if match else ""
    repo_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=repo_dir.parent, prefix=f".{package}.tmp-"))
    try:
        work = tmp / "repo"
        unpack_tarballs(tarballs, work)
        sha = commit_tree(work, f"{package} {version} (Debian orig tarball)")
        files = _git(work, "ls-files", "-z").split("\0")
        files = [f for f in files if f]
        java = sum(1 for f in files if f.endswith(".java"))
        size = sum((work / f).stat().st_size for f in files if (work / f).is_file() and not (work / f).is_symlink())
        if repo_dir.exists():
            shutil.rmtree(repo_dir)
        os.replace(work, repo_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return FetchStatus(
        package, OK, version=version, tarballs=[t.name for t in tarballs], commit=sha,
        files=len(files), java_files=java, bytes=size,
    )


def _no_orig_reason(folder: Path, output: str) -> str:
    """Which files apt did fetch and its first error line, for the report."""
    files = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    errors = [line for line in output.splitlines() if line.startswith("E:")]
    reason = f"no *.orig*.tar.*; got: {', '.join(files) or 'nothing'}"
    if any(ORIG_RE.match(f) is None and ".tar." in f and ".debian." not in f for f in files):
        reason += " (native package: no upstream tarball)"
    return (reason + (f"; {errors[0]}" if errors else ""))[:300]


def _apt_failure(output: str) -> str:
    """apt fetched nothing at all: its first error line, and what to do when source packages are not enabled."""
    error = next((line for line in output.splitlines() if line.startswith("E:")), output)
    hint = (" (source packages are not enabled on this machine: as root, `bash scripts/debian_repo.sh` adds "
            "deb-src to /etc/apt/sources.list.d/debian.sources, runs apt-get update and fetches)"
            if "deb-src" in error else "")
    return f"apt-get source fetched nothing: {error}"[:300 - len(hint)] + hint


def fetch_package(
    package: str,
    layout: DebianLayout,
    *,
    keep_tarballs: bool = False,
    force: bool = False,
    downloader: Callable[[str, Path], tuple[list[Path], str]] = download_source,
) -> FetchStatus:
    """Fetch one package into ``layout`` unless its status says it is done; write its status JSON."""
    status_path = layout.status_file(package)
    previous = read_json(status_path)
    done = previous and previous.get("status") in FINAL
    if not force and done and (previous["status"] == NO_ORIG or layout.repo(package).joinpath(".git").is_dir()):
        return FetchStatus(**previous)
    start = time.monotonic()
    layout.src.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=layout.src, prefix=f".{package}.dl-") as tmp:
        try:
            tarballs, output = downloader(package, Path(tmp))
            if not tarballs and not any(Path(tmp).iterdir()) and "E:" in output:
                result = FetchStatus(package, ERROR, reason=_apt_failure(output))  # retried on the next run
            elif not tarballs:
                result = FetchStatus(package, NO_ORIG, reason=_no_orig_reason(Path(tmp), output))
            else:
                result = make_repo(package, tarballs, layout.repo(package))
                if keep_tarballs:
                    for t in tarballs:
                        os.replace(t, layout.src / t.name)
        except (CorpusError, subprocess.SubprocessError, OSError) as exc:
            result = FetchStatus(package, ERROR, reason=f"{type(exc).__name__}: {exc}"[:300])
    result.seconds = round(time.monotonic() - start, 2)
    atomic_write_json(status_path, asdict(result))
    return result


def fetch_packages(
    packages: Sequence[str],
    layout: DebianLayout,
    *,
    jobs: int = 6,
    keep_tarballs: bool = False,
    force: bool = False,
    on_done: Callable[[FetchStatus], None] | None = None,
) -> list[FetchStatus]:
    """Fetch ``packages`` with ``jobs`` parallel downloads, in list order; resumable via the status files."""
    results: list[FetchStatus] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(fetch_package, p, layout, keep_tarballs=keep_tarballs, force=force) for p in packages]
        for fut in as_completed(futures):
            res = fut.result()
            results.append(res)
            if on_done:
                on_done(res)
    order = {p: i for i, p in enumerate(packages)}
    return sorted(results, key=lambda r: order[r.package])


def load_statuses(layout: DebianLayout) -> dict[str, FetchStatus]:
    """Every status JSON in ``layout`` (unreadable ones ignored)."""
    out: dict[str, FetchStatus] = {}
    if not layout.status.is_dir():
        return out
    for path in sorted(layout.status.glob("*.json")):
        data = read_json(path)
        if isinstance(data, dict) and "package" in data:
            out[data["package"]] = FetchStatus(**data)
    return out
