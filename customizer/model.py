"""Load a local Hugging Face seq2seq checkpoint (BART, T5, …), fingerprint its weights, pick the device.

Only safetensors weights are ever loaded (never pickle). Loaded models are cached in-process by
(resolved path, device, dtype); strategies modify a model in place, so training code asks for a private
copy with ``load_base_model(..., cache=False)``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from customizer.errors import DeviceError, ModelLoadError
from customizer.int8_weights import INT8_WEIGHTS_FILE, load_int8_model

PACKAGED_BASE_MODEL_DIR = Path(__file__).resolve().parent / "base_model"
BASE_MODEL_ENV = "TESTTAILOR_BASE_MODEL"
DEV_CHECKPOINTS_ENV = "TESTTAILOR_DEV_CHECKPOINTS"
DEV_CHECKPOINT_DIR = Path.home() / ".cache" / "testtailor-dev" / "basemodel" / "best"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "spiece.model", "sentencepiece.bpe.model")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt", "model.ckpt", "tf_model.h5")
_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
           "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


@dataclass
class BaseModel:
    """A loaded base model with its tokenizer and the identity of its weights."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    path: Path
    fingerprint: str  # sha256 hex of the weights file(s) bytes, in file-name order
    family: str  # config.model_type: "bart", "t5", …
    device: torch.device

    @property
    def description(self) -> str:
        """One line for users and logs, e.g. ``base model testtailor-base-v0 (sha256 1a2b3c4d…)``.

        The name is the one the export recorded in ``testtailor.json`` (else the directory's name).
        """
        name = self.path.name
        with contextlib.suppress(OSError, ValueError):
            name = json.loads((self.path / "testtailor.json").read_text(encoding="utf-8")).get("name") or name
        return f"base model {name} (sha256 {self.fingerprint[:8]}…)"


def _is_checkpoint_dir(path: Path) -> bool:
    return (path / "config.json").is_file() and any(path.glob("*.safetensors"))


def shipped_base_model_dir() -> Path | None:
    """The base model to use when none is given: ``$TESTTAILOR_BASE_MODEL``, else the best development
    checkpoint when ``TESTTAILOR_DEV_CHECKPOINTS=1``, else the packaged ``customizer/base_model/``; None if absent."""
    override = os.environ.get(BASE_MODEL_ENV)
    if override:
        return Path(override).expanduser()
    if os.environ.get(DEV_CHECKPOINTS_ENV) == "1" and _is_checkpoint_dir(DEV_CHECKPOINT_DIR):
        return DEV_CHECKPOINT_DIR
    if _is_checkpoint_dir(PACKAGED_BASE_MODEL_DIR):
        return PACKAGED_BASE_MODEL_DIR
    return None


_threads_configured = False


def _physical_cores() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        available = os.cpu_count() or 1
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or available
    except ImportError:
        physical = available
    return max(1, min(available, physical))


def _configure_cpu_threads() -> None:
    """One intra-op thread per physical core, unless ``TESTTAILOR_THREADS`` or ``OMP_NUM_THREADS`` says otherwise.

    Oversubscribing a loaded machine is catastrophic for small models (beam search on a tiny BART measured 40 s
    with 2 threads vs 2.7 s with 1 while other work ran), so the user and the test suite can pin it.
    """
    global _threads_configured
    if not _threads_configured:
        _threads_configured = True
        wanted = os.environ.get("TESTTAILOR_THREADS") or os.environ.get("OMP_NUM_THREADS")
        torch.set_num_threads(int(wanted) if wanted and wanted.isdigit() and int(wanted) > 0 else _physical_cores())


def resolve_device(spec: str = "auto") -> torch.device:
    """Turn ``auto|cpu|cuda|cuda:N|mps`` into a usable :class:`torch.device`, or raise :class:`DeviceError`."""
    text = (spec or "auto").strip().lower()
    if text == "auto":
        if torch.cuda.is_available():
            text = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            text = "mps"
        else:
            text = "cpu"
    if text == "cpu":
        _configure_cpu_threads()
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise DeviceError("CUDA was requested but no GPU is visible to PyTorch; use --device cpu or auto")
        index_text = text.partition(":")[2]
        if not index_text:
            return torch.device("cuda", torch.cuda.current_device())
        if not index_text.isdigit():
            raise DeviceError(f"bad device '{spec}': use cuda:N with N a GPU number, e.g. cuda:0")
        index, count = int(index_text), torch.cuda.device_count()
        if index >= count:
            raise DeviceError(f"GPU {index} was requested but only {count} GPU(s) are visible; "
                              f"use cuda:0…cuda:{count - 1}, cpu or auto")
        return torch.device("cuda", index)
    if text == "mps":
        if getattr(torch.backends, "mps", None) is None or not torch.backends.mps.is_available():
            raise DeviceError("MPS (Apple GPU) was requested but is not available; use --device cpu or auto")
        return torch.device("mps")
    raise DeviceError(f"unknown device '{spec}': use auto, cpu, cuda, cuda:N or mps")


def _weight_files(path: Path) -> list[Path]:
    return sorted(p for p in path.glob("*.safetensors") if p.is_file())


def fingerprint_weights(path: Path) -> str:
    """sha256 (hex) of the bytes of the checkpoint's safetensors file(s), concatenated in file-name order.

    For a single-file checkpoint this equals ``sha256sum model.safetensors``. ``path`` may be the directory or
    one weights file.
    """
    path = Path(path)
    files = [path] if path.is_file() else _weight_files(path)
    if not files:
        raise ModelLoadError(f"no *.safetensors weights in {path}; pass a Hugging Face checkpoint directory "
                             "saved with safe_serialization=True")
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def count_parameters(model: nn.Module) -> int:
    """Number of distinct parameters (tied tensors counted once)."""
    return sum(p.numel() for p in model.parameters())


def _resolve_dtype(dtype: torch.dtype | str | None) -> torch.dtype | None:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    try:
        return _DTYPES[str(dtype).lower()]
    except KeyError:
        raise ModelLoadError(f"unknown dtype '{dtype}': use one of {', '.join(sorted(_DTYPES))}") from None


def _check_checkpoint_dir(path: Path) -> None:
    if not path.exists():
        raise ModelLoadError(f"base model directory {path} does not exist; pass --base-model PATH to a local "
                             "Hugging Face seq2seq checkpoint directory")
    if not path.is_dir():
        raise ModelLoadError(f"{path} is not a directory; --base-model takes a checkpoint directory "
                             "(config.json, *.safetensors, tokenizer files)")
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"{path} has no config.json, so it is not a Hugging Face checkpoint; pass the "
                             "directory that save_pretrained() wrote")
    if not _weight_files(path):
        pickles = [name for name in PICKLE_WEIGHTS if (path / name).exists()]
        if pickles:
            raise ModelLoadError(
                f"{path} holds only pickle weights ({', '.join(pickles)}), which TestTailor never loads; convert "
                "them once with model.save_pretrained(DIR, safe_serialization=True) and pass DIR")
        raise ModelLoadError(f"{path} has no *.safetensors weights; pass a checkpoint saved with "
                             "save_pretrained(DIR, safe_serialization=True)")
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise ModelLoadError(f"{path} has no tokenizer files; save the tokenizer next to the weights with "
                             "tokenizer.save_pretrained(DIR)")


_cache: dict[tuple[str, str, str], BaseModel] = {}
_cache_lock = threading.Lock()


def clear_model_cache() -> None:
    """Forget every cached model (frees their memory once no one else holds them)."""
    with _cache_lock:
        _cache.clear()


def load_base_model(path: str | Path | None = None, device: str = "auto",
                    dtype: torch.dtype | str | None = None, *, cache: bool = True) -> BaseModel:
    """Load a local seq2seq checkpoint (config.json + *.safetensors + tokenizer) in eval mode on ``device``.

    ``path`` None means :func:`shipped_base_model_dir`. With ``cache`` the same object is returned for the same
    (path, device, dtype) in this process; pass ``cache=False`` for a private copy to train (strategies change
    the model in place).
    """
    if path is None:
        path = shipped_base_model_dir()
        if path is None:
            raise ModelLoadError("no base model is installed; pass --base-model PATH (a local Hugging Face "
                                 f"seq2seq checkpoint directory) or set {BASE_MODEL_ENV}")
    resolved = Path(path).expanduser().resolve()
    torch_device = resolve_device(device)
    torch_dtype = _resolve_dtype(dtype)
    key = (str(resolved), str(torch_device), str(torch_dtype))
    if cache:
        with _cache_lock:
            if key in _cache:
                return _cache[key]
    loaded = _load(resolved, torch_device, torch_dtype)
    if cache:
        with _cache_lock:
            loaded = _cache.setdefault(key, loaded)
    return loaded


def _load(path: Path, device: torch.device, dtype: torch.dtype | None) -> BaseModel:
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, AutoTokenizer

    _check_checkpoint_dir(path)
    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot read {path / 'config.json'} ({exc}); pass a valid checkpoint directory") from exc
    if not getattr(config, "is_encoder_decoder", False):
        raise ModelLoadError(f"{path} holds a '{config.model_type}' model, which is not an encoder-decoder; "
                             "TestTailor needs a seq2seq checkpoint such as BART or T5")
    # Weights are shipped in bf16 to halve the download, but the model computes in float32 unless asked
    # otherwise: training needs fp32 master weights, and CPUs without native bf16 would emulate it (slowly).
    # Mixed precision comes from autocast in the training loop where the device supports it.
    kwargs: dict = {"local_files_only": True, "use_safetensors": True, "attn_implementation": "sdpa",
                    "dtype": dtype if dtype is not None else torch.float32}
    try:
        if (path / INT8_WEIGHTS_FILE).is_file():  # the shipped model's storage format (customizer/int8_weights.py)
            model = load_int8_model(path, dtype=kwargs["dtype"], attn_implementation="sdpa")
        else:
            model = AutoModelForSeq2SeqLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load the model in {path}: {exc}") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{path} has no usable tokenizer ({exc}); save the tokenizer next to the "
                             "weights with tokenizer.save_pretrained(DIR)") from exc
    model.to(device)
    model.eval()
    return BaseModel(model=model, tokenizer=tokenizer, path=path, fingerprint=fingerprint_weights(path),
                     family=str(config.model_type), device=device)
