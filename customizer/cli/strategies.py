"""``testtailor strategies``: trainable vs total parameters per strategy, like the paper's Table 1.

Models are built on the ``meta`` device from their config only, so the command is instant and uses no memory.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from customizer.errors import ModelLoadError
from customizer.strategies import STRATEGY_NAMES, get_strategy

if TYPE_CHECKING:
    from torch import nn

BART_LARGE = "bart-large"


def bart_large_config() -> Any:
    """The paper's model size: BART-large (406M parameters)."""
    from transformers import BartConfig

    return BartConfig(vocab_size=50265, d_model=1024, encoder_layers=12, decoder_layers=12,
                      encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=4096,
                      decoder_ffn_dim=4096, max_position_embeddings=1024)


def load_config(spec: str | None) -> tuple[Any, str]:
    """(model config, label) for ``--config``: ``bart-large``, a config.json / checkpoint dir, or the shipped model."""
    from transformers import AutoConfig

    if spec == BART_LARGE:
        return bart_large_config(), "bart-large (random init, paper Table 1 size)"
    if spec is None:
        from customizer.model import shipped_base_model_dir

        shipped = shipped_base_model_dir()
        if shipped is None:
            raise ModelLoadError("no base model is installed; pass --config bart-large or --config PATH "
                                 "(a config.json or checkpoint directory)")
        path = shipped
    else:
        path = Path(spec).expanduser()
    if not path.exists():
        raise ModelLoadError(f"{path} does not exist; pass --config bart-large or a config.json / checkpoint "
                             "directory")
    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelLoadError(f"cannot read a model config from {path} ({exc}); pass a config.json or a "
                             "checkpoint directory") from exc
    if not getattr(config, "is_encoder_decoder", False):
        raise ModelLoadError(f"{path} describes a '{config.model_type}' model, not an encoder-decoder; "
                             "strategies need a seq2seq model such as BART or T5")
    return config, str(path)


def _meta_model(config: Any) -> nn.Module:
    import torch
    from transformers import AutoModelForSeq2SeqLM

    with torch.device("meta"):
        return AutoModelForSeq2SeqLM.from_config(config)


def strategy_table(config: Any, prefix_length: int = 200) -> list[dict[str, Any]]:
    """One row per strategy (and prefix with cross-attention): trainable and total parameters."""
    variants: list[tuple[str, dict[str, Any]]] = []
    for name in STRATEGY_NAMES:
        if name == "prefix":
            variants.append((name, {"length": prefix_length}))
            variants.append((name, {"length": prefix_length, "cross_attention": True}))
        else:
            variants.append((name, {}))
    rows = []
    for name, options in variants:
        model = _meta_model(config)
        strategy = get_strategy(name, **options)
        strategy.apply(model)
        trainable, total = strategy.count(model)
        rows.append({"strategy": name, "options": strategy.options, "trainable": trainable, "total": total,
                     "percent": round(100.0 * trainable / total, 2),
                     "backward_fraction": round(strategy.backward_fraction(model), 4),
                     "description": strategy.description})
    return rows


def _millions(count: int) -> str:
    return f"{count / 1e6:.1f}M"


def _label(row: dict[str, Any]) -> str:
    if row["strategy"] == "prefix":
        return f"prefix P={row['options']['length']}" + (" +cross" if row["options"]["cross_attention"] else "")
    return row["strategy"]


def run(args: argparse.Namespace) -> int:
    config, label = load_config(args.config)
    rows = strategy_table(config, prefix_length=args.prefix_length)
    if args.json:
        print(json.dumps({"config": label, "strategies": rows}, indent=2))
        return 0
    print(f"Trainable parameters per strategy — {label}")
    width = max(len(_label(row)) for row in rows)
    print(f"{'strategy':<{width}}  {'total':>8}  {'trained':>17}")
    for row in rows:
        trained = f"{_millions(row['trainable'])} ({row['percent']:.1f}%)"
        print(f"{_label(row):<{width}}  {_millions(row['total']):>8}  {trained:>17}")
    print()
    for name in STRATEGY_NAMES:
        print(f"{name}: {get_strategy(name).description}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "strategies", help="trainable vs total parameters per customization strategy (paper Table 1)",
        description="Show how many parameters each customization strategy trains, like Table 1 of the paper. "
        "Counts come from the model config only (no weights are loaded).")
    parser.add_argument("--config", metavar="bart-large|PATH", default=None,
                        help="'bart-large' for the paper's model size, or a config.json / checkpoint directory "
                        "(default: the shipped base model)")
    parser.add_argument("--prefix-length", type=int, default=200, metavar="P",
                        help="virtual tokens per attention module for prefix tuning (default: 200, as the paper)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)
