"""Defaults shared by the CLI, the language server and the editor extension, defined in one place.

``DEFAULT_STRATEGY`` is what the evaluation picks; change it here only. ``parse_settings`` validates the
editor's ``testtailor`` settings section: unknown keys are ignored, invalid values fall back to the default
with a warning the server shows to the user (it never raises).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_STRATEGY = "l-ldb"
DEFAULT_DEVICE = "auto"
DEFAULT_BASE_MODEL = ""  # empty: the shipped base model
DEFAULT_CANDIDATES = 5
MAX_CANDIDATES = 20
DEFAULT_AUTO_CUSTOMIZE = False
DEFAULT_VALIDATE = False
# Nearest existing project tests in every model input (--retrieval k); 0 = off until the evaluation decides.
DEFAULT_RETRIEVAL = 0
MAX_RETRIEVAL = 8
# Candidates that are the project's own nearest existing tests, adapted to the method, placed before the model's.
# On the `method` split of the 20 dev-eval packages the retrieval baseline scored about twice the BLEU of the best
# learned strategy, and with 4 of 5 candidates retrieved the best candidate of the list scored highest
# (docs/evaluation.md, "Shipped defaults", recomputes it). A list of two or more always ends with the model's
# best candidate (customizer.decoding.retrieved_tests_first); a single candidate is the nearest test.
DEFAULT_RETRIEVED_FIRST = 4
# Whether the model that answers a request re-orders the retrieved tests that lead its list by its likelihood of
# each (customizer/retrieval/likelihood.py): with the base model (no adapter), and with a project's adapter.
# docs/evaluation.md ("Shipped defaults") measures both on the `method` split of the dev-eval packages: neither
# picked better leads than the re-ranker alone there, so both are off (the lead costs no model pass).
LIKELIHOOD_ORDER_BASE = False
LIKELIHOOD_ORDER_ADAPTER = False
# Whether the model's own candidates are ordered by their agreement with the project's AGREEMENT_TESTS nearest
# existing tests, adapted (customizer/retrieval/agreement.py: BLEU against each, summed; no model pass). On the
# dev-eval packages it lifted the BLEU of the model's first candidate on every split, for the base model and for
# adapters (docs/evaluation.md, "Shipped defaults", recomputes it).
AGREEMENT_ORDER = True
AGREEMENT_TESTS = 5


def likelihood_orders(adapter: bool) -> bool:
    """Whether retrieved tests are re-ordered by the answering model's likelihood (``adapter``: a project's adapter
    answers; else the base model)."""
    return LIKELIHOOD_ORDER_ADAPTER if adapter else LIKELIHOOD_ORDER_BASE


def agreement_applies(first: int, k: int) -> bool:
    """Whether a list of ``k`` candidates led by ``first`` retrieved tests orders the model's candidates by their
    agreement with the project's nearest tests: the switch is on and the model has a place in the list."""
    return AGREEMENT_ORDER and first < k


STRATEGIES = ("full", "l-eo", "l-ldb", "prefix", "lora", "retrieve")
TRAINABLE = tuple(s for s in STRATEGIES if s != "retrieve")  # retrieval has nothing to train
DEVICES = ("auto", "cpu", "cuda", "mps")
# Where decoding runs on the CPU: PyTorch, or ONNX Runtime (customizer.ort; fp32, or int8-quantized weights).
# ``auto``: ONNX Runtime (fp32) when the model is on the CPU and onnxruntime is installed, else PyTorch. It is the
# editor's default: on the CPU it halves a model candidate's time with the same candidates (docs/benchmarks.md),
# and the language server exports in the background, so nothing waits for it. The CLI keeps ``torch``: a one-shot
# command would wait for the export (about a minute, once per model) to save seconds.
AUTO_RUNTIME = "auto"
DEFAULT_RUNTIME = AUTO_RUNTIME
DEFAULT_CLI_RUNTIME = "torch"
RUNTIMES = (AUTO_RUNTIME, "torch", "onnx", "onnx-int8")

SETTINGS_SECTION = "testtailor"


@dataclass(frozen=True)
class Settings:
    """The ``testtailor.*`` editor settings (camelCase keys in the editor, snake_case here)."""

    strategy: str = DEFAULT_STRATEGY
    device: str = DEFAULT_DEVICE
    base_model: str = DEFAULT_BASE_MODEL
    candidates: int = DEFAULT_CANDIDATES
    auto_customize: bool = DEFAULT_AUTO_CUSTOMIZE
    validate: bool = DEFAULT_VALIDATE
    classpath: str = ""  # extra classpath for validation (plain layouts); entries separated by os.pathsep
    runtime: str = DEFAULT_RUNTIME
    retrieved_first: int = DEFAULT_RETRIEVED_FIRST


_KEYS = {"strategy": "strategy", "device": "device", "baseModel": "base_model", "candidates": "candidates",
         "autoCustomize": "auto_customize", "validate": "validate", "classpath": "classpath", "runtime": "runtime",
         "retrievedFirst": "retrieved_first"}


def _check(key: str, value: Any) -> str | None:
    """An error text for an invalid value, or None when it is valid."""
    if key == "strategy":
        return None if value in STRATEGIES else f"must be one of {', '.join(STRATEGIES)}"
    if key == "device":
        ok = isinstance(value, str) and (value in DEVICES or value.startswith("cuda:"))
        return None if ok else f"must be one of {', '.join(DEVICES)} or cuda:N"
    if key == "base_model":
        return None if isinstance(value, str) else "must be a path to a local checkpoint directory or empty"
    if key == "runtime":
        return None if value in RUNTIMES else f"must be one of {', '.join(RUNTIMES)}"
    if key == "classpath":
        return None if isinstance(value, str) else "must be a classpath string (entries separated by ':') or empty"
    if key == "retrieved_first":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_CANDIDATES
        return None if ok else f"must be a whole number from 0 to {MAX_CANDIDATES}"
    if key == "candidates":
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_CANDIDATES
        return None if ok else f"must be a whole number from 1 to {MAX_CANDIDATES}"
    return None if isinstance(value, bool) else "must be true or false"


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Validate a settings mapping (the ``testtailor`` section, or an object holding it).

    Returns the settings (``base`` or the defaults for missing or invalid keys) and one warning per
    invalid value, phrased for the user.
    """
    settings = base or Settings()
    if raw is None:
        return settings, []
    if isinstance(raw, Mapping) and isinstance(raw.get(SETTINGS_SECTION), Mapping):
        raw = raw[SETTINGS_SECTION]
    if not isinstance(raw, Mapping):
        return settings, [f"TestTailor settings must be an object, got {type(raw).__name__}; using defaults"]
    changes: dict[str, Any] = {}
    warnings: list[str] = []
    defaults = {f.name: f.default for f in fields(Settings)}
    for key, attr in _KEYS.items():
        if key not in raw or raw[key] is None:
            continue
        value = raw[key]
        if attr in ("device", "runtime") and isinstance(value, str):
            value = value.strip().lower()
        if (problem := _check(attr, value)) is None:
            changes[attr] = value
        else:
            changes[attr] = defaults[attr]
            warnings.append(f"testtailor.{key} = {value!r} is invalid: {problem}; "
                            f"using {defaults[attr]!r}. Fix it in your editor settings.")
    return replace(settings, **changes), warnings
