"""``customizer.defaults.parse_settings``: the editor's ``testtailor`` settings, validated without raising."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from customizer.defaults import (
    _KEYS,
    DEFAULT_CANDIDATES,
    DEFAULT_DEVICE,
    DEFAULT_STRATEGY,
    MAX_CANDIDATES,
    RUNTIMES,
    SETTINGS_SECTION,
    STRATEGIES,
    Settings,
    parse_settings,
)


def test_defaults_are_consistent() -> None:
    settings = Settings()
    assert settings.strategy == DEFAULT_STRATEGY and DEFAULT_STRATEGY in STRATEGIES
    assert settings.device == DEFAULT_DEVICE and settings.candidates == DEFAULT_CANDIDATES
    assert settings.base_model == "" and settings.auto_customize is False and settings.validate is False


def test_the_editor_extension_declares_the_same_defaults_and_choices() -> None:
    """VS Code shows package.json's defaults before the server runs: they must be the server's (defined here)."""
    manifest = json.loads((Path(__file__).parents[2] / "vscode-extension" / "package.json").read_text())
    declared = manifest["contributes"]["configuration"]["properties"]
    for key, field in _KEYS.items():
        if field == "classpath":
            continue  # a server setting the extension does not declare (other LSP clients set it)
        entry = declared[f"{SETTINGS_SECTION}.{key}"]
        assert entry["default"] == getattr(Settings(), field), key
    assert declared["testtailor.runtime"]["enum"] == list(RUNTIMES)
    assert declared["testtailor.strategy"]["enum"] == list(STRATEGIES)


@pytest.mark.parametrize("raw", [None, {}, {"testtailor": {}}])
def test_nothing_given_keeps_the_base(raw: object) -> None:
    base = Settings(strategy="lora", candidates=3)
    assert parse_settings(raw, base) == (base, [])
    assert parse_settings(raw) == (Settings(), [])


def test_valid_values_camel_case_keys() -> None:
    raw = {"strategy": "prefix", "device": "cuda:1", "baseModel": "/models/bart", "candidates": MAX_CANDIDATES,
           "autoCustomize": True, "validate": True, "retrievedFirst": 0}
    settings, warnings = parse_settings(raw)
    assert warnings == []
    assert settings == Settings(strategy="prefix", device="cuda:1", base_model="/models/bart",
                                candidates=MAX_CANDIDATES, auto_customize=True, validate=True, retrieved_first=0)


def test_the_section_may_be_wrapped_and_device_is_normalized() -> None:
    settings, warnings = parse_settings({"testtailor": {"device": "  CPU ", "strategy": "retrieve"}})
    assert warnings == []
    assert settings.device == "cpu" and settings.strategy == "retrieve"


@pytest.mark.parametrize(("key", "value", "attr", "hint"), [
    ("strategy", "bogus", "strategy", "must be one of"),
    ("strategy", 3, "strategy", "must be one of"),
    ("device", "quantum", "device", "cuda:N"),
    ("device", 0, "device", "cuda:N"),
    ("baseModel", 42, "base_model", "local checkpoint directory"),
    ("candidates", 0, "candidates", f"from 1 to {MAX_CANDIDATES}"),
    ("candidates", MAX_CANDIDATES + 1, "candidates", "whole number"),
    ("candidates", "many", "candidates", "whole number"),
    ("candidates", True, "candidates", "whole number"),  # a bool is not a count
    ("candidates", 2.5, "candidates", "whole number"),
    ("autoCustomize", "yes", "auto_customize", "true or false"),
    ("validate", 1, "validate", "true or false"),
    ("retrievedFirst", -1, "retrieved_first", f"from 0 to {MAX_CANDIDATES}"),
    ("retrievedFirst", "all", "retrieved_first", "whole number"),
])
def test_invalid_value_warns_and_falls_back_to_the_default(key: str, value: object, attr: str, hint: str) -> None:
    base = Settings(strategy="lora", device="cpu", base_model="/m", candidates=7, auto_customize=True,
                    validate=True)
    settings, warnings = parse_settings({key: value, "candidates": 3} if key != "candidates" else {key: value},
                                        base)
    [warning] = warnings
    assert warning.startswith(f"testtailor.{key} = {value!r} is invalid: ")
    assert hint in warning and "Fix it in your editor settings" in warning
    default = getattr(Settings(), attr)
    assert getattr(settings, attr) == default  # the default, not the previous value
    assert f"using {default!r}" in warning
    if key != "candidates":
        assert settings.candidates == 3  # the valid keys of the same object still apply


def test_several_invalid_values_give_one_warning_each() -> None:
    settings, warnings = parse_settings({"strategy": "x", "device": "y", "candidates": -1, "validate": True})
    assert len(warnings) == 3
    assert [w.split(" ", 1)[0] for w in warnings] == ["testtailor.strategy", "testtailor.device",
                                                     "testtailor.candidates"]
    assert settings == Settings(validate=True)


def test_unknown_keys_are_ignored_and_null_means_unset() -> None:
    base = Settings(strategy="full")
    settings, warnings = parse_settings({"colour": "red", "max_candidates": 3, "base_model": "/snake/case",
                                         "strategy": None, "candidates": 4}, base)
    assert warnings == []
    assert settings == Settings(strategy="full", candidates=4)


@pytest.mark.parametrize("raw", [[1, 2], "l-ldb", 5, {"testtailor": "lora"}])
def test_a_non_object_warns_and_keeps_the_base(raw: object) -> None:
    base = Settings(candidates=9)
    settings, warnings = parse_settings(raw, base)
    if isinstance(raw, dict):  # a section that is not an object: the outer object is read, it has no known keys
        assert (settings, warnings) == (base, [])
        return
    assert settings == base
    [warning] = warnings
    assert "must be an object" in warning and type(raw).__name__ in warning
