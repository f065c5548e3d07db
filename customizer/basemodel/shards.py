"""Carry a trained run's best checkpoint across a narrow channel, and rebuild it on the other side.

A GPU machine lent for one call returns at most 8 files of at most 16 MiB each, 64 MiB together. ``pack``
writes the best checkpoint of a run as safetensors shards (``max_shard_mb`` each) plus one ``meta.tar`` holding
the model config, the run's config, history and training state; ``unpack`` turns those files back into
``<run>/best`` (with the tokenizer, which never travels: it is an input of the run) and the run's
``history.jsonl`` and ``config.json``, ready for ``testtailor base-model export`` and ``card``.

The shards are int8 per row by default (:mod:`customizer.int8_weights`, the format the model ships in: 43 MB for
the 42M-parameter model, so one call brings back the weights and an evaluation's results), or bf16 with
``--precision bf16`` (84 MB for that model: more than one call returns; the lossless choice where the
checkpoint is to be trained further at full precision).

    python -m customizer.basemodel.shards pack RUN_DIR OUT_DIR [--precision int8|bf16]
    python -m customizer.basemodel.shards unpack FILES_DIR RUN_DIR --tokenizer TOKENIZER_DIR
"""

from __future__ import annotations

import argparse
import io
import shutil
import tarfile
import tempfile
from pathlib import Path

import torch

from customizer.int8_weights import is_int8_file, load_int8_model, save_int8_model

PRECISIONS = ("int8", "bf16")
_RUN_FILES = {"history.jsonl": "history.jsonl", "config.json": "run-config.json"}
_BEST_FILES = ("training_state.json",)


def pack(run_dir: Path, out_dir: Path, max_shard_mb: int = 15, precision: str = "int8") -> list[Path]:
    """Write ``run_dir/best`` as shards (``precision``: int8 per row or bf16) and ``meta.tar`` into ``out_dir``;
    returns the files written."""
    from transformers import AutoModelForSeq2SeqLM

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
    best = run_dir / "best"
    if not (best / "config.json").exists():
        raise FileNotFoundError(f"{best} holds no checkpoint: the run never reached a pairs evaluation")
    out_dir.mkdir(parents=True, exist_ok=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(best)
    with tempfile.TemporaryDirectory() as tmp:
        if precision == "bf16":
            model.to(torch.bfloat16).save_pretrained(tmp, max_shard_size=f"{max_shard_mb}MB", safe_serialization=True)
        else:
            save_int8_model(model, Path(tmp), max_bytes=max_shard_mb * 1_000_000)
        written = []
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for f in sorted(Path(tmp).iterdir()):
                if f.suffix == ".safetensors":
                    written.append(Path(shutil.copy2(f, out_dir / f.name)))
                else:
                    tar.add(f, arcname=f"model/{f.name}")
            for name, arc in _RUN_FILES.items():
                if (run_dir / name).exists():
                    tar.add(run_dir / name, arcname=arc)
            for name in _BEST_FILES:
                if (best / name).exists():
                    tar.add(best / name, arcname=name)
        (out_dir / "meta.tar").write_bytes(buf.getvalue())
    return [*written, out_dir / "meta.tar"]


def unpack(files_dir: Path, run_dir: Path, tokenizer_dir: Path) -> Path:
    """Rebuild ``run_dir/best`` from what :func:`pack` wrote; returns the checkpoint directory."""
    from transformers import AutoModelForSeq2SeqLM, PreTrainedTokenizerFast

    shards = sorted(files_dir.glob("*.safetensors"))
    if not shards or not (files_dir / "meta.tar").exists():
        raise FileNotFoundError(f"{files_dir} lacks the shards or meta.tar written by `pack`")
    int8 = [is_int8_file(shard) for shard in shards]
    if any(int8) and not all(int8):
        raise ValueError(f"{files_dir} mixes int8 and bf16 shards: unpack the files of one `pack` at a time")
    run_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        with tarfile.open(files_dir / "meta.tar") as tar:
            tar.extractall(tmp, filter="data")
        if all(int8):
            model = load_int8_model(model_dir, shards)
        else:
            for shard in shards:
                shutil.copy2(shard, model_dir / shard.name)
            model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
        best = run_dir / "best"
        staging = run_dir / "best.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        model.save_pretrained(staging, safe_serialization=True)
        PreTrainedTokenizerFast.from_pretrained(tokenizer_dir).save_pretrained(staging)
        for name in _BEST_FILES:
            if (Path(tmp) / name).exists():
                shutil.copy2(Path(tmp) / name, staging / name)
        if best.exists():
            shutil.rmtree(best)
        staging.replace(best)
        for name, arc in _RUN_FILES.items():
            if (Path(tmp) / arc).exists():
                shutil.copy2(Path(tmp) / arc, run_dir / name)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m customizer.basemodel.shards", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("pack")
    p.add_argument("run", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--max-shard-mb", type=int, default=15)
    p.add_argument("--precision", choices=PRECISIONS, default="int8",
                   help="int8 per row (default: the shipped format, half the bytes) or bf16")
    u = sub.add_parser("unpack")
    u.add_argument("files", type=Path)
    u.add_argument("run", type=Path)
    u.add_argument("--tokenizer", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.step == "pack":
        for f in pack(args.run, args.out, args.max_shard_mb, args.precision):
            print(f"{f} {f.stat().st_size / 1e6:.1f} MB")
    else:
        print(unpack(args.files, args.run, args.tokenizer))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
