"""The adapter store: round trip, damage, mismatch, crash safety, full disk, export/import."""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from gitrepos import make_git_repo

from customizer.adapters import ADAPTER_FILE, META_FILE, AdapterMeta, AdapterStore, repo_key
from customizer.errors import AdapterError, AdapterMismatchError, NotAGitRepositoryError, StorageError


def _meta(version: int, strategy: str = "l-ldb", key: str = "a" * 40, created: str = "2026-01-01T00:00:00+00:00"):
    return AdapterMeta(repo_key=key, repo_name="calc", worktree="/src/calc", strategy=strategy,
                       base_fingerprint="f" * 64, base_model="/models/base", dataset_size=version, created=created,
                       best_val_loss=1.5, base_val_loss=2.5)


def _state(version: int) -> dict[str, torch.Tensor]:
    return {"decoder.layers.1.fc1.weight": torch.full((4, 3), float(version)), "bias": torch.arange(3.0) * version}


def test_save_load_round_trip(store: AdapterStore) -> None:
    path = store.save(_meta(1), _state(1))
    assert path == store.path("a" * 40, "l-ldb")
    assert sorted(p.name for p in path.iterdir()) == [ADAPTER_FILE, META_FILE]
    meta, state = store.load("a" * 40, "l-ldb", expected_fingerprint="f" * 64)
    assert meta == _meta(1)
    assert all(torch.equal(state[n], t) for n, t in _state(1).items()) and set(state) == set(_state(1))
    assert store.root == Path(os.environ["TESTTAILOR_HOME"]) / "adapters"


def test_saving_again_replaces_and_leaves_no_temporary_folders(store: AdapterStore) -> None:
    store.save(_meta(1), _state(1))
    path = store.save(_meta(2), _state(2))
    assert store.load("a" * 40, "l-ldb")[0].dataset_size == 2
    assert [p.name for p in path.parent.iterdir()] == ["l-ldb"]


def test_missing_adapter_says_how_to_make_one(store: AdapterStore) -> None:
    with pytest.raises(AdapterError, match="customize-project"):
        store.load("b" * 40, "lora")


def test_damaged_tensors_or_meta_raise_adapter_error(store: AdapterStore) -> None:
    path = store.save(_meta(1), _state(1))
    (path / ADAPTER_FILE).write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(AdapterError, match=r"damaged.*adapters remove"):
        store.load("a" * 40, "l-ldb")
    store.save(_meta(1), _state(1))
    (path / META_FILE).write_text("{truncated", encoding="utf-8")
    with pytest.raises(AdapterError, match="damaged"):
        store.load("a" * 40, "l-ldb")
    (path / META_FILE).write_text('{"repo_key": "x"}', encoding="utf-8")
    with pytest.raises(AdapterError, match="lacks"):
        store.load("a" * 40, "l-ldb")


def test_fingerprint_mismatch_names_both_models(store: AdapterStore) -> None:
    store.save(_meta(1), _state(1))
    with pytest.raises(AdapterMismatchError, match=r"/models/base.*ffffffffffff.*/models/other.*123456789abc"):
        store.load("a" * 40, "l-ldb", expected_fingerprint="123456789abc" + "0" * 52, expected_model="/models/other")


def _crashing_save(root: str, step: int, after: bool) -> None:
    """In a forked child: save version 2, dying (os._exit) at the ``step``-th file-system commit point."""
    calls = {"n": 0}

    def crash_at(function):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == step and not after:
                os._exit(9)
            result = function(*args, **kwargs)
            if calls["n"] == step and after:
                os._exit(9)
            return result

        return wrapper

    os.replace = crash_at(os.replace)
    os.fsync = crash_at(os.fsync)
    shutil.rmtree = crash_at(shutil.rmtree)
    AdapterStore(Path(root)).save(_meta(2), _state(2))
    os._exit(0)


def test_a_crash_at_any_moment_of_a_save_leaves_a_complete_adapter(store: AdapterStore) -> None:
    context = multiprocessing.get_context("fork")
    seen_versions, saw_missing_target = set(), False
    for step in range(1, 10):
        for after in (False, True):
            store.save(_meta(1), _state(1))
            child = context.Process(target=_crashing_save, args=(str(store.root), step, after))
            child.start()
            child.join(60)
            saw_missing_target |= not store.path("a" * 40, "l-ldb").exists()
            meta, state = store.load("a" * 40, "l-ldb")
            version = meta.dataset_size
            assert version in (1, 2)
            assert all(torch.equal(state[n], t) for n, t in _state(version).items()), (step, after)
            seen_versions.add(version)
    assert seen_versions == {1, 2}  # some crashes came before the switch, some after
    assert saw_missing_target  # a crash between the two renames happened and was recovered from
    store.save(_meta(3), _state(3))
    assert store.load("a" * 40, "l-ldb")[0].dataset_size == 3
    assert [p.name for p in store.path("a" * 40, "l-ldb").parent.iterdir()] == ["l-ldb"]


def test_full_disk_raises_storage_error_and_keeps_the_old_adapter(store: AdapterStore,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(_meta(1), _state(1))

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(StorageError, match=r"No space left on device.*free disk space"):
        store.save(_meta(2), _state(2))
    monkeypatch.undo()
    meta, state = store.load("a" * 40, "l-ldb")
    assert meta.dataset_size == 1 and torch.equal(state["bias"], _state(1)["bias"])
    assert [p.name for p in store.path("a" * 40, "l-ldb").parent.iterdir()] == ["l-ldb"]


def test_list_find_and_remove(store: AdapterStore, java_repo: Path) -> None:
    key = repo_key(java_repo)
    store.save(_meta(1, "l-ldb", key, created="2026-01-01T00:00:00+00:00"), _state(1))
    store.save(_meta(2, "full", key, created="2026-02-01T00:00:00+00:00"), _state(2))
    store.save(_meta(3, "lora", "c" * 40, created="2026-01-15T00:00:00+00:00"), _state(3))
    assert [m.strategy for m in store.list()] == ["full", "lora", "l-ldb"]
    newest = store.find(java_repo)
    assert newest is not None and newest.strategy == "full"
    assert store.find(java_repo, "l-ldb").dataset_size == 1
    assert store.find(java_repo, "prefix") is None
    assert store.remove(key, "full") == [store.path(key, "full")]
    assert store.find(java_repo).strategy == "l-ldb"
    store.remove(key)
    assert store.find(java_repo) is None and not (store.root / key).exists()
    with pytest.raises(AdapterError, match="adapters list"):
        store.remove(key)


def test_repo_key_is_the_root_commit_in_every_clone(java_repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(java_repo), str(clone)], check=True)
    assert repo_key(clone) == repo_key(java_repo / "src") and len(repo_key(clone)) == 40
    with pytest.raises(NotAGitRepositoryError):
        repo_key(tmp_path)


def test_export_import_round_trip(store: AdapterStore, java_repo: Path, tmp_path: Path) -> None:
    key = repo_key(java_repo)
    store.save(_meta(5, "l-ldb", key), _state(5))
    exported = store.export(key, "l-ldb", tmp_path / "calc.safetensors")
    assert exported.is_file() and exported.suffix == ".safetensors"
    other = AdapterStore(tmp_path / "teammate")
    meta = other.import_(exported, worktree=java_repo)
    assert meta == replace(_meta(5, "l-ldb", key), worktree=str(java_repo.resolve()))
    loaded_meta, state = other.load(key, "l-ldb", expected_fingerprint="f" * 64)
    assert loaded_meta == meta and all(torch.equal(state[n], t) for n, t in _state(5).items())


def test_import_refuses_other_repositories_and_plain_files(store: AdapterStore, java_repo: Path,
                                                           tmp_path: Path) -> None:
    from safetensors.torch import save_file

    key = repo_key(java_repo)
    store.save(_meta(5, "l-ldb", key), _state(5))
    exported = store.export(key, "l-ldb", tmp_path / "calc.safetensors")
    unrelated = make_git_repo(tmp_path / "other", {"A.java": "class A {}\n"})
    with pytest.raises(AdapterMismatchError, match="clone of calc"):
        AdapterStore(tmp_path / "x").import_(exported, worktree=unrelated)
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(AdapterError, match="not a TestTailor adapter export"):
        store.import_(plain)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"nope")
    with pytest.raises(AdapterError, match="not a readable adapter export"):
        store.import_(garbage)
