"""Customization strategies (paper §2): which parameters train and how their state is saved and re-applied.

``get_strategy(name, **options)`` is the only entry point the rest of TestTailor needs. Importing this package is
cheap (no torch): the strategy modules load on first use, so the command line and the language server can list
and check strategy names without paying for the model libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from customizer.errors import UnknownStrategyError

if TYPE_CHECKING:
    from customizer.strategies.base import Strategy, StrategyInit, StrategyOptionError

STRATEGY_NAMES = ("full", "l-eo", "l-ldb", "prefix", "lora")
# name → (module, class); the module is imported when the strategy is first asked for
_CLASSES = {"full": ("full", "FullStrategy"), "l-eo": ("l_eo", "LEOStrategy"), "l-ldb": ("l_ldb", "LLDBStrategy"),
            "prefix": ("prefix", "PrefixStrategy"), "lora": ("lora", "LoraStrategy")}
_ALIASES = {"custom": "full", "leo": "l-eo", "lldb": "l-ldb"}
_BASE_NAMES = ("Strategy", "StrategyInit", "StrategyOptionError")


def canonical_name(name: str) -> str:
    """The canonical strategy name for ``name`` (case, ``_`` and the paper's names accepted)."""
    key = str(name).strip().lower().replace("_", "-")
    key = _ALIASES.get(key.replace("-", ""), key)
    if key not in _CLASSES:
        raise UnknownStrategyError(f"unknown strategy '{name}'; choose one of: {', '.join(STRATEGY_NAMES)}")
    return key


def strategy_class(name: str) -> type[Strategy]:
    """The class of strategy ``name`` (its module imported now)."""
    module, cls = _CLASSES[canonical_name(name)]
    found: type[Strategy] = getattr(importlib.import_module(f"customizer.strategies.{module}"), cls)
    return found


def get_strategy(name: str, **options: Any) -> Strategy:
    """A strategy by name, configured with ``options`` (the fields of its config dataclass)."""
    return strategy_class(name).from_options(**options)


def __getattr__(name: str) -> Any:
    if name in _BASE_NAMES:
        return getattr(importlib.import_module("customizer.strategies.base"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["STRATEGY_NAMES", "Strategy", "StrategyInit", "StrategyOptionError", "canonical_name", "get_strategy",
           "strategy_class"]
