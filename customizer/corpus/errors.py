"""Errors of the corpus tooling (developer-facing, but still one actionable line each)."""

from __future__ import annotations

from customizer.errors import TestTailorError


class CorpusError(TestTailorError):
    """A corpus step cannot run: missing input, missing tool, unreadable cache."""

    exit_code = 40


class PackageNotAllowedError(CorpusError):
    """A package outside the pretraining list, or one of the dev-eval packages, was asked for training."""

    exit_code = 41
