"""The git-tracked ``.java`` files of a repository.

Which files: ``git ls-files`` semantics (the index), so untracked and ignored files never count.
Which contents: the **working tree** copy of each tracked file, so uncommitted edits to tracked files are
mined too (the developer customizes on what they see in the editor); a tracked file deleted from the
working tree is skipped and counted as ``missing``. The commit recorded with every pair is ``HEAD``.

Skipped and counted: symlinks (never followed, wherever they point), files whose real path leaves the
repository, files larger than ``max_bytes`` (generated code), unreadable files. Bytes that are not valid
UTF-8 are decoded with U+FFFD replacement and counted as ``undecodable``; such files are still mined.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import git

from customizer.errors import NotAGitRepositoryError

MAX_FILE_BYTES = 2_000_000
_SYMLINK_MODE = "120000"
_GITLINK_MODE = "160000"


@dataclass(frozen=True)
class JavaSource:
    """One tracked Java file: ``path`` is repo-relative with ``/`` separators."""

    path: str
    text: str
    size: int
    lossy: bool = False


@dataclass
class RepoFiles:
    """The tracked Java sources of a repository and what was skipped while reading them."""

    root: Path
    name: str
    commit: str
    tracked_files: int = 0
    sources: list[JavaSource] = field(default_factory=list)
    undecodable: int = 0
    symlinks: int = 0
    huge: int = 0
    missing: int = 0
    unreadable: int = 0

    @property
    def java_bytes(self) -> int:
        return sum(source.size for source in self.sources)


def open_repository(path: str | os.PathLike[str]) -> git.Repo:
    """The git repository containing ``path`` (any path inside the work tree)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise NotAGitRepositoryError(f"{p} does not exist; pass the path of a git repository")
    start = p if p.is_dir() else p.parent
    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise NotAGitRepositoryError(_not_a_repo_message(p)) from exc
    if repo.bare or repo.working_tree_dir is None:
        raise NotAGitRepositoryError(f"{p} is a bare git repository; clone it and pass the clone's path")
    return repo


def _not_a_repo_message(p: Path) -> str:
    return (
        f"{p} is not inside a git repository; run `git init && git add -A && git commit -m init` there, "
        "or pass the repository root"
    )


def head_commit(repo: git.Repo) -> str:
    """The HEAD commit sha, or an empty string for a repository without commits."""
    try:
        return repo.head.commit.hexsha
    except ValueError:  # unborn HEAD: `git init` without a commit yet
        return ""


def _tracked_entries(repo: git.Repo) -> list[tuple[str, str]]:
    """(mode, path) of every index entry, sorted by path."""
    try:
        out = repo.git.ls_files("-s", "-z")
    except git.GitCommandError as exc:
        raise NotAGitRepositoryError(
            f"git cannot list the files of {repo.working_tree_dir} ({exc.stderr.strip()}); repair the repository"
        ) from exc
    entries: dict[str, str] = {}
    for record in out.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        mode = meta.split(" ", 1)[0]
        entries[path] = mode  # merge conflicts list a path up to 3 times; one is enough
    return sorted(((mode, path) for path, mode in entries.items()), key=lambda item: item[1])


def list_java_files(path: str | os.PathLike[str], *, max_bytes: int = MAX_FILE_BYTES) -> RepoFiles:
    """Read every tracked ``.java`` file of the repository containing ``path`` (sorted by path)."""
    repo = open_repository(path)
    root = Path(repo.working_tree_dir or ".").resolve()
    result = RepoFiles(root=root, name=root.name, commit=head_commit(repo))
    for mode, rel in _tracked_entries(repo):
        if mode == _GITLINK_MODE:
            continue
        result.tracked_files += 1
        if not rel.endswith(".java"):
            continue
        source = _read_source(root, rel, mode, max_bytes, result)
        if source is not None:
            result.sources.append(source)
    return result


def _read_source(root: Path, rel: str, mode: str, max_bytes: int, counts: RepoFiles) -> JavaSource | None:
    file = root / rel
    if mode == _SYMLINK_MODE or file.is_symlink():
        counts.symlinks += 1
        return None
    try:
        real = file.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        counts.missing += 1
        return None
    except OSError:
        counts.unreadable += 1
        return None
    if not real.is_relative_to(root):  # a symlinked parent directory pointing elsewhere
        counts.symlinks += 1
        return None
    try:
        size = real.stat().st_size
        if size > max_bytes:
            counts.huge += 1
            return None
        data = real.read_bytes()
    except IsADirectoryError:
        counts.missing += 1
        return None
    except OSError:
        counts.unreadable += 1
        return None
    try:
        text = data.decode("utf-8")
        lossy = False
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        lossy = True
        counts.undecodable += 1
    return JavaSource(path=rel, text=text, size=len(data), lossy=lossy)
