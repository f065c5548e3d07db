"""Validating candidate tests by compiling and running them in the user's project (opt-in).

:class:`Validator` classifies one placed candidate (a :class:`customizer.placement.TestEdit`);
:func:`validate_generation` validates and re-ranks all candidates of a generation; :func:`rank_by_validation`
orders anything that carries a :class:`ValidationResult`. See docs/architecture.md ("Validation").
"""

from customizer.validation.candidates import validate_generation
from customizer.validation.classpath import ProjectClasspath, discover_classpath
from customizer.validation.outcome import Outcome, ValidationResult, outcome_rank, rank_by_validation
from customizer.validation.validator import Validator

__all__ = ["Outcome", "ProjectClasspath", "ValidationResult", "Validator", "discover_classpath", "outcome_rank",
           "rank_by_validation", "validate_generation"]
