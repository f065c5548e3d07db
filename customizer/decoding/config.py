"""The decoding settings (:class:`DecodingConfig`): which pieces run, with the defaults measured for each.
"""

from __future__ import annotations

from dataclasses import dataclass

from customizer.decoding.length_prior import EOS_PUSH
from customizer.decoding.lines import MAX_LINE_REPEATS, SYNTAX_PENALTY
from customizer.decoding.loops import DEGENERATE_LINE_REPEATS, MAX_PERIOD, MAX_REPEATS, WINDOW_REPEATS
from customizer.decoding.ranking import LENGTH_WEIGHT

RETRY_BEAMS = 10  # beams of the second search for an input none of whose first candidates parses


@dataclass(frozen=True)
class DecodingConfig:
    """How :meth:`customizer.generate.Generator.candidates` decodes; ``legacy()`` reproduces the first version."""

    beams: int = 5
    max_repeats: int = MAX_REPEATS
    max_period: int = MAX_PERIOD
    length_prior: bool = True  # max_new_tokens from the prior (unless the Generator was given one) + length term
    length_weight: float = LENGTH_WEIGHT
    repair: bool = True
    eos_push: float | None = EOS_PUSH  # None: no end-of-sequence push past the prior's 90th percentile
    degenerate_line_repeats: int | None = DEGENERATE_LINE_REPEATS  # None: only TeCo's token criterion
    max_line_repeats: int | None = MAX_LINE_REPEATS  # None: no LineLoopStopper
    window_repeats: int | None = WINDOW_REPEATS  # None: no WindowLoopBlocker
    redeclared_last: bool = True  # rank candidates that declare a local twice (cannot compile) after the others
    stop_redeclared: bool = True  # keep beams from declaring a local twice (RedeclarationBlocker, ...Stopper)
    redeclared_grow_only: bool = True  # the blocker lets a redeclared name only grow (False: session 7's version)
    syntax_penalty: float | None = SYNTAX_PENALTY  # SyntaxGuard's penalty on a line that breaks the syntax; None: off
    declaration_shape: bool = True  # DeclarationShapeBlocker: no third name after `Type name`, no `final Type =`
    retry_beams: int | None = RETRY_BEAMS  # no candidate parses: search again with this many beams; None: never

    @classmethod
    def legacy(cls) -> DecodingConfig:
        """The decoding before issue #13: units up to 4 tokens, 256 new tokens, no length term, no repair."""
        return cls(max_period=4, length_prior=False, length_weight=0.0, repair=False, degenerate_line_repeats=None,
                   eos_push=None, max_line_repeats=None, window_repeats=None, redeclared_last=False,
                   stop_redeclared=False, syntax_penalty=None, declaration_shape=False, retry_beams=None)
