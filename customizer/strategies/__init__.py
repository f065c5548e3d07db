"""Customization strategies (paper §2): which parameters train and how their state is saved and re-applied.

``get_strategy(name, **options)`` is the only entry point the rest of TestTailor needs.
"""

from __future__ import annotations

from typing import Any

from customizer.errors import UnknownStrategyError
from customizer.strategies.base import Strategy, StrategyInit, StrategyOptionError
from customizer.strategies.full import FullStrategy
from customizer.strategies.l_eo import LEOStrategy
from customizer.strategies.l_ldb import LLDBStrategy
from customizer.strategies.lora import LoraStrategy
from customizer.strategies.prefix import PrefixStrategy

STRATEGY_NAMES = ("full", "l-eo", "l-ldb", "prefix", "lora")
_CLASSES: dict[str, type[Strategy]] = {cls.name: cls for cls in
                                       (FullStrategy, LEOStrategy, LLDBStrategy, PrefixStrategy, LoraStrategy)}
_ALIASES = {"custom": "full", "leo": "l-eo", "lldb": "l-ldb"}


def canonical_name(name: str) -> str:
    """The canonical strategy name for ``name`` (case, ``_`` and the paper's names accepted)."""
    key = str(name).strip().lower().replace("_", "-")
    key = _ALIASES.get(key.replace("-", ""), key)
    if key not in _CLASSES:
        raise UnknownStrategyError(f"unknown strategy '{name}'; choose one of: {', '.join(STRATEGY_NAMES)}")
    return key


def get_strategy(name: str, **options: Any) -> Strategy:
    """A strategy by name, configured with ``options`` (the fields of its config dataclass)."""
    return _CLASSES[canonical_name(name)].from_options(**options)


__all__ = ["STRATEGY_NAMES", "Strategy", "StrategyInit", "StrategyOptionError", "canonical_name", "get_strategy"]
