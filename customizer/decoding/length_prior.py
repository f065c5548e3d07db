"""The length prior: a log-normal of the project's test lengths (or the base corpus'), which sets ``max_new_tokens``,
pushes the end of sequence past its 90th percentile and adds a length term to the ranking.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

EOS_PUSH = 1.01  # past the prior's 90th percentile, the end-of-sequence score grows by this factor per token
LENGTH_MARGIN = 1.15  # max_new_tokens = 99th percentile of test lengths x margin + specials
MIN_PRIOR_TESTS = 20  # fewer mined tests than this: fall back to the base model's prior
PRIOR_META_KEY = "length_prior"  # where the prior lives in testtailor.json and in an adapter's meta


@dataclass(frozen=True)
class LengthPrior:
    """Log-normal over the token length of a project's tests (content tokens, no special tokens)."""

    mu: float  # mean of log(length)
    sigma: float  # standard deviation of log(length)
    p50: int
    p90: int
    p99: int
    max: int
    n: int  # tests it was fitted on
    source: str = ""  # what it was fitted on, for messages and reports

    @classmethod
    def fit(cls, lengths: Iterable[int], source: str = "") -> LengthPrior:
        xs = sorted(max(1, int(x)) for x in lengths)
        if not xs:
            raise ValueError("cannot fit a length prior to no tests")
        logs = [math.log(x) for x in xs]
        mu = sum(logs) / len(logs)
        sigma = math.sqrt(sum((v - mu) ** 2 for v in logs) / len(logs))

        def q(p: float) -> int:
            return xs[min(len(xs) - 1, math.ceil(p * len(xs)) - 1)] if p > 0 else xs[0]

        return cls(mu=mu, sigma=max(sigma, 0.25), p50=q(0.5), p90=q(0.9), p99=q(0.99), max=xs[-1], n=len(xs),
                   source=source)

    def log_weight(self, length: int) -> float:
        """Log-normal log-density up to a constant, 0 at the median: the length term of the ranking."""
        z = (math.log(max(1, length)) - self.mu) / self.sigma
        return -0.5 * z * z

    def max_new_tokens(self, limit: int | None = None) -> int:
        """Tokens to allow the decoder: the 99th percentile x margin plus room for special tokens, capped."""
        wanted = math.ceil(self.p99 * LENGTH_MARGIN) + 4
        return wanted if limit is None else max(1, min(wanted, limit))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> LengthPrior | None:
        """The prior stored in metadata, or None when absent or malformed (an older adapter or model)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{k: data[k] for k in ("mu", "sigma", "p50", "p90", "p99", "max", "n")},
                       source=str(data.get("source", "")))
        except (KeyError, TypeError):
            return None


# Fitted by ``scripts/decoding_stats.py corpus`` on the 8,279 tests of the interim base model's training corpus
# (tokenizer-v0, tests over 384 tokens dropped); used only when a base model ships no prior of its own.
DEFAULT_PRIOR = LengthPrior(mu=4.461, sigma=0.692, p50=83, p90=230, p99=362, max=382, n=8279,
                            source="default (interim base corpus)")


def prior_for_model_dir(model_dir: str | Path | None) -> LengthPrior:
    """The base model's prior from its ``testtailor.json``, else :data:`DEFAULT_PRIOR`."""
    if model_dir is not None:
        try:
            meta = json.loads((Path(model_dir) / "testtailor.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        found = LengthPrior.from_dict(meta.get(PRIOR_META_KEY)) if isinstance(meta, dict) else None
        if found is not None:
            return found
    return DEFAULT_PRIOR


def prior_from_tests(tokenizer: Any, tests: Iterable[str], source: str = "") -> LengthPrior | None:
    """Fit a prior to test bodies (e.g. a project's mined tests); None when there are too few to trust."""
    bodies = list(tests)
    if len(bodies) < MIN_PRIOR_TESTS:
        return None
    lengths = [len(ids) for ids in tokenizer(bodies, add_special_tokens=False)["input_ids"]]
    return LengthPrior.fit(lengths, source=source or f"{len(bodies)} project tests")
