"""The local adapter store: one folder per repository and strategy, written atomically, fingerprinted.

Layout: ``<root>/<repo-key>/<strategy>/{adapter.safetensors, meta.json}`` where ``root`` is
``$TESTTAILOR_HOME/adapters`` or ``platformdirs.user_data_dir("testtailor")/adapters`` and the repo key is the
repository's root commit, so an adapter exported from one clone imports into a teammate's.

Atomic replacement: both files are written and fsynced into a temporary sibling folder; then the current
folder is renamed aside, the new one renamed into place, and the old one deleted. A crash at any moment
leaves either the old or the new adapter complete: if the process dies between the two renames, the next
reader renames the set-aside folder back. Tensors are safetensors, never pickle.

An export is ONE ``.safetensors`` file whose header metadata holds ``meta.json`` under ``testtailor.meta``,
so the usual safetensors tools can read it and nothing executable travels with it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from safetensors import SafetensorError, safe_open

if TYPE_CHECKING:
    import torch

from customizer import __version__
from customizer.errors import AdapterError, AdapterMismatchError, NotAGitRepositoryError, StorageError

HOME_ENV = "TESTTAILOR_HOME"
ADAPTER_FILE = "adapter.safetensors"
META_FILE = "meta.json"
EXPORT_META_KEY = "testtailor.meta"
_STALE_TMP_S = 3600  # temporary folders older than this are leftovers of a crashed save


def default_root() -> Path:
    """Where adapters live: ``$TESTTAILOR_HOME/adapters`` or the platform's user data folder."""
    home = os.environ.get(HOME_ENV)
    base = Path(home).expanduser() if home else Path(platformdirs.user_data_dir("testtailor"))
    return base / "adapters"


def export_owner(key: str, strategy: str) -> str:
    """How an ONNX export names the stored adapter it was made from (removing the adapter removes the export)."""
    return f"{key}/{strategy}"


def repo_key(repo_path: str | os.PathLike[str]) -> str:
    """The repository's root commit (the smallest sha when histories were merged): the same in every clone."""
    from customizer.mining.gitfiles import open_repository

    repo = open_repository(repo_path)
    try:
        roots = repo.git.rev_list("--max-parents=0", "HEAD").split()
    except Exception as exc:  # GitCommandError: no commits yet
        raise NotAGitRepositoryError(f"{repo.working_tree_dir} has no commits yet; commit your work "
                                     "(`git add -A && git commit`) before customizing") from exc
    return sorted(roots)[0]


@dataclass
class AdapterMeta:
    """What ``meta.json`` records about an adapter."""

    repo_key: str
    repo_name: str
    worktree: str
    strategy: str
    base_fingerprint: str  # sha256 of the base model's weights
    base_model: str  # the base model's path (for messages)
    strategy_options: dict[str, Any] = field(default_factory=dict)
    trainable_params: int = 0
    total_params: int = 0
    dataset_hash: str = ""
    dataset_size: int = 0
    git_head: str = ""
    best_val_loss: float | None = None
    base_val_loss: float | None = None
    pflops: float = 0.0
    wall_s: float = 0.0
    device: str = ""
    input_level: str = "fm+fc+c+m+f"  # how sources were built; generation must build them the same way
    max_source: int = 512
    max_target: int = 256
    stop_reason: str = ""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    version: str = __version__
    conventions: dict[str, Any] = field(default_factory=dict)
    retrieval: int = 0  # nearest project tests in each input (--retrieval k); generation uses the same k
    index_state: str = ""  # HEAD+status key of the stored retrieval pairs (customizer.retrieval.stored)
    length_prior: dict[str, Any] = field(default_factory=dict)  # customizer.decoding.LengthPrior of its tests
    tensor_encoding: str = ""  # "": tensors as trained; else customizer.adapter_tensors.ENCODING (changes, int8)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str = "meta.json") -> AdapterMeta:
        """Read a meta dict; unknown keys (from newer versions) are ignored."""
        if not isinstance(data, dict):
            raise AdapterError(f"{where} is not a JSON object; remove the adapter and customize again")
        known = {f.name for f in dataclasses.fields(cls)}
        required = {f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
        missing = sorted(required - set(data))
        if missing:
            raise AdapterError(f"{where} lacks {', '.join(missing)}; remove the adapter "
                               "(`testtailor adapters remove`) and customize the project again")
        return cls(**{key: value for key, value in data.items() if key in known})


class AdapterStore:
    """Adapters on this machine. Every public method is safe to call while another process saves."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    def path(self, key: str, strategy: str) -> Path:
        if not key or "/" in key or key.startswith(".") or "/" in strategy or strategy.startswith("."):
            raise AdapterError(f"invalid adapter name {key!r}/{strategy!r}; use a repository key and a strategy "
                               "from `testtailor adapters list`")
        return self.root / key / strategy

    # --- writing -----------------------------------------------------------------------------------------

    def save(self, meta: AdapterMeta, state: dict[str, torch.Tensor], extra_files: dict[str, bytes] | None = None
             ) -> Path:
        """Store ``state`` and ``meta`` (and ``extra_files``, name → bytes, such as the retrieval index's pairs),
        replacing any adapter of the same repository and strategy atomically.

        Raises :class:`StorageError` when the disk is full or unwritable; the previous adapter stays intact.
        """
        target = self.path(meta.repo_key, meta.strategy)
        bad = [n for n in extra_files or {} if n in (ADAPTER_FILE, META_FILE) or "/" in n or n.startswith(".")]
        if bad:
            raise ValueError(f"invalid extra adapter file names {bad}")
        token = uuid.uuid4().hex[:12]
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{token}")
        aside = target.with_name(f".{target.name}.old-{token}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._recover(target)
            tmp.mkdir()
            _write_durably(tmp / ADAPTER_FILE, _tensors_to_bytes(state))
            for name, data in (extra_files or {}).items():
                _write_durably(tmp / name, data)
            _write_durably(tmp / META_FILE, json.dumps(meta.to_dict(), indent=2, sort_keys=True).encode())
            _fsync_dir(tmp)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise StorageError(f"cannot save the adapter in {target.parent} ({exc.strerror or exc}); free disk "
                               f"space or set {HOME_ENV} to a writable folder, then customize again. Any "
                               "previous adapter is unchanged") from exc
        try:
            if target.exists():
                os.replace(target, aside)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            if aside.exists() and not target.exists():
                os.replace(aside, target)
            shutil.rmtree(tmp, ignore_errors=True)
            raise StorageError(f"cannot move the new adapter into {target} ({exc.strerror or exc}); the previous "
                               "adapter is unchanged. Check the folder's permissions and customize again") from exc
        shutil.rmtree(aside, ignore_errors=True)
        return target

    def _recover(self, target: Path) -> None:
        """Undo a save that died between its two renames; drop leftovers of crashed saves."""
        parent = target.parent
        if not parent.is_dir():
            return
        asides = sorted(parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        if not target.exists() and asides:
            try:
                os.replace(asides.pop(0), target)
            except OSError:
                return  # another process got there first
        for leftover in asides:
            shutil.rmtree(leftover, ignore_errors=True)
        for tmp in parent.glob(f".{target.name}.tmp-*"):
            if is_stale_temporary(tmp):
                shutil.rmtree(tmp, ignore_errors=True)

    # --- reading -----------------------------------------------------------------------------------------

    def read_meta(self, key: str, strategy: str) -> AdapterMeta:
        target = self.path(key, strategy)
        self._recover(target)
        meta_path = target / META_FILE
        if not meta_path.is_file():
            raise AdapterError(f"no {strategy} adapter for repository {key[:12]}; run `testtailor "
                               f"customize-project REPO --strategy {strategy}` first")
        try:
            data = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise AdapterError(_corrupt(target, f"unreadable meta.json: {exc}")) from exc
        try:
            return AdapterMeta.from_dict(data, where=str(meta_path))
        except TypeError as exc:
            raise AdapterError(_corrupt(target, f"meta.json has wrong fields: {exc}")) from exc

    def load(self, key: str, strategy: str, expected_fingerprint: str | None = None,
             expected_model: str | None = None, base: Mapping[str, torch.Tensor] | None = None,
             ) -> tuple[AdapterMeta, dict[str, torch.Tensor]]:
        """(meta, tensors) of an adapter. With ``expected_fingerprint``, refuse one made for another base model.

        With ``base`` (the base model's own parameters by name) the tensors are the adapter's, ready to load into a
        model; without, they are as stored (matrices as changes from the base: :mod:`customizer.adapter_tensors`),
        for copying the adapter elsewhere.
        """
        meta = self.read_meta(key, strategy)
        if expected_fingerprint is not None and meta.base_fingerprint != expected_fingerprint:
            raise AdapterMismatchError(
                f"the {strategy} adapter for {meta.repo_name} was trained on base model {meta.base_model} "
                f"(sha256 {meta.base_fingerprint[:12]}), but the loaded base model is "
                f"{expected_model or 'a different one'} (sha256 {expected_fingerprint[:12]}); customize again "
                f"with `testtailor customize-project {meta.worktree} --strategy {strategy}`, or load the "
                f"adapter's base model with --base-model {meta.base_model}")
        from customizer import adapter_tensors  # imports torch: not at module level (`adapters list` stays quick)

        if meta.tensor_encoding not in ("", adapter_tensors.ENCODING):
            raise AdapterError(f"the {strategy} adapter for {meta.repo_name} stores its tensors as "
                               f"{meta.tensor_encoding!r}, which this TestTailor ({__version__}) cannot read; "
                               f"upgrade TestTailor (it was made by {meta.version}) or customize again")
        target = self.path(key, strategy)
        try:
            state = _tensors_from_bytes((target / ADAPTER_FILE).read_bytes())
        except (OSError, SafetensorError, ValueError, RuntimeError) as exc:
            raise AdapterError(_corrupt(target, f"unreadable {ADAPTER_FILE}: {exc}")) from exc
        if base is not None and meta.tensor_encoding:
            state = adapter_tensors.expand(state, base, where=f"the {strategy} adapter for {meta.repo_name}")
        return meta, state

    def size(self, key: str, strategy: str) -> int:
        """Bytes the adapter takes on disk (its tensors, meta and retrieval pairs); 0 when it is not stored."""
        return folder_size(self.path(key, strategy))

    def signature(self, key: str, strategy: str) -> tuple[int, int, int] | None:
        """Identity of the stored adapter (inode, mtime, size of its tensors): changes on every save."""
        try:
            st = (self.path(key, strategy) / ADAPTER_FILE).stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def list(self) -> list[AdapterMeta]:
        """All readable adapters, newest first (corrupt ones are left out; ``show`` reports them)."""
        found: list[AdapterMeta] = []
        if not self.root.is_dir():
            return found
        for repo_dir in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            for strategy in sorted({_strategy_name(p) for p in repo_dir.iterdir() if p.is_dir()} - {""}):
                try:
                    found.append(self.read_meta(repo_dir.name, strategy))
                except AdapterError:
                    continue
        return sorted(found, key=lambda m: m.created, reverse=True)

    def find(self, repo_path: str | os.PathLike[str], strategy: str | None = None) -> AdapterMeta | None:
        """The newest adapter of the repository at ``repo_path`` (of ``strategy`` if given), or None."""
        key = repo_key(repo_path)
        metas = [m for m in self.list() if m.repo_key == key and (strategy is None or m.strategy == strategy)]
        return metas[0] if metas else None

    # --- removing, export, import ------------------------------------------------------------------------

    def remove(self, key: str, strategy: str | None = None) -> list[Path]:
        """Delete one adapter (or every adapter of the repository); returns the removed folders."""
        repo_dir = self.root / key
        targets = [self.path(key, strategy)] if strategy else (
            sorted(p for p in repo_dir.iterdir() if p.is_dir()) if repo_dir.is_dir() else [])
        targets = [t for t in targets if t.exists()]
        if not targets:
            what = f"{strategy} adapter" if strategy else "adapter"
            raise AdapterError(f"no {what} for repository {key[:12]}; see `testtailor adapters list`")
        for target in targets:
            shutil.rmtree(target)
        if repo_dir.is_dir() and not any(repo_dir.iterdir()):
            repo_dir.rmdir()
        return targets

    def export(self, key: str, strategy: str, out_file: str | os.PathLike[str]) -> Path:
        """Write the adapter as one ``.safetensors`` file with its meta in the header; returns the file."""
        meta, state = self.load(key, strategy)
        out = Path(out_file).expanduser()
        if out.is_dir():
            out = out / f"{meta.repo_name}-{strategy}.testtailor.safetensors"
        data = _tensors_to_bytes(state, metadata={EXPORT_META_KEY: json.dumps(meta.to_dict(), sort_keys=True)})
        tmp = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:12]}")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            _write_durably(tmp, data)
            os.replace(tmp, out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write {out} ({exc.strerror or exc}); choose another path or free space") \
                from exc
        return out

    def import_(self, file: str | os.PathLike[str], worktree: str | os.PathLike[str] | None = None) -> AdapterMeta:
        """Store an exported adapter. With ``worktree``, check it is a clone of the adapter's repository and
        record it as the adapter's worktree."""
        source = Path(file).expanduser()
        try:
            with safe_open(str(source), framework="pt") as handle:
                header = handle.metadata() or {}
            state = _tensors_from_bytes(source.read_bytes())
        except (OSError, SafetensorError, ValueError, RuntimeError) as exc:
            raise AdapterError(f"{source} is not a readable adapter export ({exc}); export it again with "
                               "`testtailor adapters export`") from exc
        if EXPORT_META_KEY not in header:
            raise AdapterError(f"{source} is a safetensors file but not a TestTailor adapter export; export "
                               "adapters with `testtailor adapters export`")
        try:
            data = json.loads(header[EXPORT_META_KEY])
        except ValueError as exc:
            raise AdapterError(f"{source} has a damaged header ({exc}); export the adapter again") from exc
        meta = AdapterMeta.from_dict(data, where=str(source))
        if worktree is not None:
            key = repo_key(worktree)
            if key != meta.repo_key:
                raise AdapterMismatchError(
                    f"{source} was made for repository {meta.repo_name} (root commit {meta.repo_key[:12]}), but "
                    f"{worktree} has root commit {key[:12]}; import it into a clone of {meta.repo_name}")
            meta.worktree = str(Path(worktree).expanduser().resolve())
        self.save(meta, state)
        return meta


def _strategy_name(folder: Path) -> str:
    """The strategy a folder belongs to (a set-aside ``.<strategy>.old-…`` folder counts; temp ones do not)."""
    name = folder.name
    if not name.startswith("."):
        return name
    stem, _, kind = name[1:].rpartition(".")
    return stem if kind.startswith("old-") else ""


def folder_size(folder: Path) -> int:
    """Bytes of the files under ``folder`` (0 when it does not exist; a file removed meanwhile counts 0)."""
    total = 0
    for parent, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(parent, name))
    return total


def is_stale_temporary(tmp: Path) -> bool:
    """A temporary folder named ``….tmp-<pid>-…`` whose writer is gone, or that is older than an hour."""
    pid_text = tmp.name.rpartition(".tmp-")[2].partition("-")[0]
    try:
        if time.time() - tmp.stat().st_mtime > _STALE_TMP_S:
            return True
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False


def _corrupt(target: Path, detail: str) -> str:
    key, strategy = target.parent.name, target.name
    return (f"the {strategy} adapter in {target} is damaged ({detail}); remove it with `testtailor adapters "
            f"remove {key} --strategy {strategy}` and customize the project again")


# torch is imported only where tensors are (de)serialized: listing adapters, which the language server does on
# every first Java file it sees, stays cheap.
def _tensors_to_bytes(state: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    from safetensors.torch import save

    return save({name: t.detach().to("cpu").contiguous() for name, t in state.items()}, metadata=metadata)


def _tensors_from_bytes(data: bytes) -> dict[str, torch.Tensor]:
    from safetensors.torch import load

    return load(data)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
