"""Weights stored as int8 with one scale per row, dequantized when loaded.

The shipped base model has 42M parameters: 84 MB in bf16, over the package's ~60 MB cap. Stored as symmetric
int8 per output row (absmax / 127, the scheme of LLM.int8's vector-wise quantization without outliers) it takes
43 MB, and the model computes in float32 as before: this is a storage format, not int8 inference. Measured on
120 validation pairs of the base corpus: per-token loss 1.68963 in bf16 vs 1.68978 from int8 (+0.00015 nats).

File layout (``model.int8.safetensors``): every matrix with at least :data:`MIN_ELEMENTS` elements is stored as
``NAME`` (int8, rows × columns) plus ``NAME.__scale__`` (float32, rows × 1); everything else (biases, norms,
small matrices) as bf16 under its own name. Tied parameters are stored once. The metadata names the format, so
a file of another layout is refused rather than misread.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

INT8_WEIGHTS_FILE = "model.int8.safetensors"
FORMAT = "testtailor-int8-rowwise-v1"
SCALE_SUFFIX = ".__scale__"
MIN_ELEMENTS = 4096


class Int8WeightsError(ValueError):
    """The file is not in the format this module writes."""


def quantize_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per row: ``weight ≈ q * scale``; an all-zero row gets scale 1 (and stays zero)."""
    w = weight.detach().float()
    scale = w.abs().amax(dim=1, keepdim=True) / 127.0
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.clamp(torch.round(w / scale), -127, 127).to(torch.int8)
    return q, scale


def unique_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The model's state dict with each tied tensor kept once, under the first name that holds it."""
    seen: set[int] = set()
    out: dict[str, torch.Tensor] = {}
    for name, tensor in model.state_dict().items():
        key = tensor.untyped_storage().data_ptr() if tensor.numel() else id(tensor)
        if key in seen:
            continue
        seen.add(key)
        out[name] = tensor
    return out


def int8_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """``model``'s weights as the tensors of the int8 row-wise format (each quantized matrix followed by its scale)."""
    tensors: dict[str, torch.Tensor] = {}
    for name, tensor in unique_state_dict(model).items():
        if tensor.is_floating_point() and tensor.dim() == 2 and tensor.numel() >= MIN_ELEMENTS:
            q, scale = quantize_rows(tensor)
            tensors[name], tensors[name + SCALE_SUFFIX] = q.contiguous(), scale.contiguous()
        elif tensor.is_floating_point():
            tensors[name] = tensor.detach().to(torch.bfloat16).contiguous()
        else:
            tensors[name] = tensor.detach().contiguous()
    return tensors


def save_int8(model: nn.Module, path: Path) -> Path:
    """Write ``model``'s weights to ``path`` (a file) in the int8 row-wise format; returns ``path``."""
    return save_int8_shards(model, path)[0]


def shard_path(path: Path, index: int) -> Path:
    """The ``index``-th (from 1) of the files :func:`save_int8_shards` splits ``path`` into."""
    return path.with_name(f"{path.stem}-{index:05d}{path.suffix}")


def save_int8_shards(model: nn.Module, path: Path, max_bytes: int | None = None) -> list[Path]:
    """Write ``model``'s weights in the int8 row-wise format: to ``path``, or, with ``max_bytes``, to as many files
    of at most that many tensor bytes as it takes (``path`` with ``-00001``, ``-00002``, … before its suffix; a
    matrix and its scale stay in one file; a single tensor larger than ``max_bytes`` gets a file of its own).
    Returns the files written; :func:`load_into` reads them back together."""
    groups: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    tensors = int8_tensors(model)
    for name, tensor in tensors.items():
        if name.endswith(SCALE_SUFFIX):
            continue
        unit = {name: tensor}
        if name + SCALE_SUFFIX in tensors:
            unit[name + SCALE_SUFFIX] = tensors[name + SCALE_SUFFIX]
        nbytes = sum(t.numel() * t.element_size() for t in unit.values())
        if max_bytes is not None and groups[-1] and size + nbytes > max_bytes:
            groups.append({})
            size = 0
        groups[-1].update(unit)
        size += nbytes
    files = [path] if max_bytes is None else [shard_path(path, i) for i in range(1, len(groups) + 1)]
    for group, file in zip(groups, files, strict=True):
        save_file(group, str(file), metadata={"format": FORMAT})
    return files


def is_int8_file(path: Path) -> bool:
    """True when ``path`` is a safetensors file in this module's format."""
    with safe_open(str(path), framework="pt") as f:
        return (f.metadata() or {}).get("format") == FORMAT


def load_int8(path: Path, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """Read a file written by :func:`save_int8` as a dequantized state dict in ``dtype``."""
    with safe_open(str(path), framework="pt") as f:
        fmt = (f.metadata() or {}).get("format")
        if fmt != FORMAT:
            raise Int8WeightsError(f"{path} is not a TestTailor int8 weights file (format {fmt!r}, "
                                   f"expected {FORMAT!r})")
        names = list(f.keys())
        out: dict[str, torch.Tensor] = {}
        for name in names:
            if name.endswith(SCALE_SUFFIX):
                continue
            tensor = f.get_tensor(name)
            if tensor.dtype == torch.int8:
                if name + SCALE_SUFFIX not in names:
                    raise Int8WeightsError(f"{path}: {name} is int8 but has no {name + SCALE_SUFFIX}")
                tensor = tensor.float() * f.get_tensor(name + SCALE_SUFFIX).float()
            out[name] = tensor.to(dtype) if tensor.is_floating_point() else tensor
    return out


def load_into(model: nn.Module, path: Path | list[Path]) -> None:
    """Load an int8 file (or the files :func:`save_int8_shards` split it into) into ``model`` (built from its config);
    tied parameters follow their source.

    Raises :class:`Int8WeightsError` when a parameter is missing (other than a tied one) or unexpected.
    """
    dtype = next(model.parameters()).dtype
    files = path if isinstance(path, list) else [path]
    state: dict[str, torch.Tensor] = {}
    for file in files:
        state.update(load_int8(file, dtype))
    where = str(files[0]) if len(files) == 1 else f"{files[0].parent} ({len(files)} files)"
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected:
        raise Int8WeightsError(f"{where} holds weights this model does not have: {', '.join(sorted(unexpected)[:5])}")
    if hasattr(model, "tie_weights"):
        model.tie_weights()
    current = model.state_dict()
    loaded = {t.untyped_storage().data_ptr() for n, t in current.items() if n in state}
    untied = [n for n in missing if current[n].untyped_storage().data_ptr() not in loaded]
    if untied:
        raise Int8WeightsError(f"{where} lacks weights of this model: {', '.join(sorted(untied)[:5])}")


def save_int8_model(model: nn.Module, directory: Path, max_bytes: int | None = None) -> list[Path]:
    """Write ``model`` into ``directory`` in the shipped layout: ``config.json``, ``generation_config.json`` (when the
    model has one) and its weights in the int8 row-wise format (split into files of at most ``max_bytes`` tensor
    bytes when given, see :func:`save_int8_shards`). Returns the weight files; :func:`load_int8_model` reads it."""
    directory.mkdir(parents=True, exist_ok=True)
    model.config.save_pretrained(directory)
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(directory)
    return save_int8_shards(model, directory / INT8_WEIGHTS_FILE, max_bytes=max_bytes)


def int8_weight_files(directory: Path) -> list[Path]:
    """The int8 weight files :func:`save_int8_model` wrote into ``directory`` (one file, or its numbered shards)."""
    whole = directory / INT8_WEIGHTS_FILE
    if whole.is_file():
        return [whole]
    shard_pattern = shard_path(whole, 0).name.replace("00000", "[0-9]" * 5)
    return sorted(directory.glob(shard_pattern))


def load_int8_model(config_dir: Path, files: list[Path] | None = None, dtype: torch.dtype = torch.float32,
                    **from_config: object) -> nn.Module:
    """The seq2seq model of ``config_dir``'s ``config.json`` (and ``generation_config.json`` when present) with the
    int8 weights of ``files`` (default: those in ``config_dir``), dequantized to ``dtype``. ``from_config`` goes to
    ``AutoModelForSeq2SeqLM.from_config`` (e.g. ``attn_implementation``)."""
    from transformers import AutoConfig, AutoModelForSeq2SeqLM, GenerationConfig

    files = files if files is not None else int8_weight_files(config_dir)
    if not files:
        raise Int8WeightsError(f"{config_dir} holds no {INT8_WEIGHTS_FILE}")
    config = AutoConfig.from_pretrained(config_dir, local_files_only=True)
    model = AutoModelForSeq2SeqLM.from_config(config, dtype=dtype, **from_config)
    load_into(model, files)
    if (config_dir / "generation_config.json").is_file():
        model.generation_config = GenerationConfig.from_pretrained(config_dir, local_files_only=True)
    return model
