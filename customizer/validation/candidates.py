"""Validate a generation's candidates and re-rank them: the one small call the CLI and ``generate.py`` make.

Each candidate is placed exactly as it would be written (:func:`customizer.placement.place_test`, the project's
mined conventions), validated, and the list re-ranked passing > failing > timeout > unchecked > not compiling >
not parsing, keeping the model's order within an outcome.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from customizer.errors import TestTailorError
from customizer.validation.outcome import Outcome, ValidationResult, rank_by_validation
from customizer.validation.validator import Validator


def _conventions(repo: Path) -> Any:
    from customizer.errors import NoJavaFilesError, NoTestsFoundError
    from customizer.mining.conventions import TestConventions
    from customizer.mining.miner import mine_repository

    try:
        return mine_repository(repo).conventions
    except (NoTestsFoundError, NoJavaFilesError):
        return TestConventions()


def validate_generation(generation: Any, repo: str | os.PathLike[str], classpath: str | Sequence[str] | None = None,
                        conventions: Any = None, validator: Validator | None = None) -> None:
    """Set ``candidate.validation`` on each of ``generation.candidates`` and re-rank them (in place).

    ``generation`` is a :class:`customizer.generate.Generation` for a method of a file (``method`` and ``file``
    set). Raises :class:`customizer.errors.ClasspathError` for a user-given classpath entry that does not exist.
    """
    if generation.method is None or generation.file is None:
        raise ValueError("validation needs a generation for a method of a file (generate_for_position)")
    from customizer.placement import place_test

    root = Path(repo).resolve()
    conventions = conventions if conventions is not None else _conventions(root)
    validator = validator or Validator(root, classpath, main_roots=conventions.main_roots,
                                       test_roots=conventions.test_roots)
    placed = []
    for candidate in generation.candidates:
        try:
            placed.append((candidate, place_test(root, conventions, generation.file, generation.method,
                                                 candidate.text)))
        except TestTailorError as exc:  # the test file itself cannot take a method (its own syntax errors)
            candidate.validation = ValidationResult(Outcome.UNCHECKED, exc.message)
    for (candidate, _), result in zip(placed, validator.validate_edits([e for _, e in placed]), strict=True):
        candidate.validation = result
    generation.candidates = rank_by_validation(generation.candidates, lambda c: c.validation)
    for rank, candidate in enumerate(generation.candidates, start=1):
        candidate.rank = rank
