"""Generate ranked candidate tests for a focal method with the base model or a repository's adapter.

Decoding is beam search (``num_beams = max(k, 5)``) with the pieces of :mod:`customizer.decoding`: a loop
blocker that leaves legitimate repetition alone, ``max_new_tokens`` and a ranking term from a length prior fitted
to the project's tests (the base model's corpus without an adapter), and a repair that closes a test the
decoder left open when the result then parses. Candidates that do not parse, and degenerate ones (cut off at the
length limit, or looping), are ranked after the rest; whitespace-only duplicates are dropped.

:class:`Generator` serves adapters through one :class:`customizer.serving.AdapterServer`: one base model in
memory, an LRU cache of small adapters switched in place around each generation (no per-adapter model copy), and
an adapter reloaded when its file on disk changes, so the language server picks up a new customization without
restarting. With an ONNX runtime, each (base or adapted) model is exported from a private copy loaded from disk,
because the served model is changed in place while it decodes; ``background_exports`` (the language server) does
that in a worker thread and decodes with PyTorch until the export is ready (:mod:`customizer.runners`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from transformers import ExponentialDecayLengthPenalty, LogitsProcessorList

from customizer import defaults
from customizer.adapters import AdapterMeta, AdapterStore, repo_key
from customizer.decoding import (
    DEGENERATE_REPEATS,
    MAX_REPEATS,
    DeclarationShapeBlocker,
    DecodingConfig,
    LengthPrior,
    LineLoopStopper,
    LoopBlocker,
    RedeclarationBlocker,
    RedeclarationStopper,
    SyntaxGuard,
    WindowLoopBlocker,
    is_degenerate,
    lead_with,
    prior_for_model_dir,
    repair_truncated,
    retrieved_tests_first,
)
from customizer.decoding import rank as rank_candidates
from customizer.defaults import DEFAULT_RETRIEVAL, agreement_applies, likelihood_orders
from customizer.errors import (
    AdapterError,
    NoJavaFilesError,
    NoMethodAtPositionError,
    NotAGitRepositoryError,
    NoTestsFoundError,
)
from customizer.inputs import (
    DEFAULT_MAX_SOURCE,
    DEFAULT_MAX_TARGET,
    clamp_length,
    encode_source,
    position_limit,
    source_budget,
)
from customizer.java.context import ContextLevel, FocalContext, focal_context, render_input
from customizer.java.methods import MethodInfo, method_at, method_on_line
from customizer.java.parser import read_java_file
from customizer.java.snippets import parses_as_method, redeclared_locals
from customizer.java.source_text import normalize_whitespace
from customizer.memory import release_freed_memory
from customizer.mining.miner import mine_repository
from customizer.model import BaseModel, load_base_model
from customizer.retrieval import RetrievalIndex, nearest_adapted, retrieved_texts
from customizer.retrieval.agreement import agreement_order
from customizer.retrieval.likelihood import Scorer, likelihood_scorer
from customizer.retrieval.stored import stored_pairs, worktree_state
from customizer.runners import Runners
from customizer.serving import AdapterRef, AdapterServer
from customizer.strategies import get_strategy

if TYPE_CHECKING:
    from customizer.validation import ValidationResult

logger = logging.getLogger(__name__)
DEFAULT_MAX_NEW_TOKENS = 256  # the legacy decoding's limit; the default now comes from the length prior
__all__ = ["DEGENERATE_REPEATS", "MAX_REPEATS", "AdapterRef", "Candidate", "Generation", "Generator", "LoopBlocker",
           "is_degenerate", "parses_as_method"]


@dataclass
class Candidate:
    rank: int  # 1 = best
    text: str
    score: float  # beam score: length-normalized log-probability
    parses: bool  # a complete Java method (no ERROR/MISSING nodes when wrapped in a class)
    degenerate: bool  # cut off at the length limit, or looping
    redeclares: bool = False  # declares a local again while it is in scope: cannot compile (ranked lower)
    source: str = "model"  # "model", or "retrieved: <TestClass>.<method>" for the project's own nearest test
    hit_limit: bool = False  # the decoder was cut at max_new_tokens (before any repair)
    repaired: bool = False  # open braces were closed (after cutting back to the last statement if cut off)
    retried: bool = False  # found by the wider search run when no candidate of the first one parsed
    validation: ValidationResult | None = None  # compiled and run in the project (opt-in: validate=True)

    @property
    def defects(self) -> tuple[str, ...]:
        """What a user should know before picking it: it cannot compile, or it repeats itself."""
        return tuple(text for flag, text in ((self.redeclares, "declares a local twice"),
                                             (self.degenerate, "repeats itself")) if flag)


@dataclass
class Generation:
    method: MethodInfo | None
    file: str | None
    candidates: list[Candidate]
    model_description: str
    adapter: AdapterMeta | None
    focal_has_error: bool = False  # the focal method has syntax errors: candidates were generated anyway
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        method = None if self.method is None else {
            "name": self.method.name, "signature": self.method.signature, "class": self.method.class_name,
            "start_line": self.method.start_line, "end_line": self.method.end_line}
        return {"file": self.file, "method": method, "model": self.model_description,
                "adapter": None if self.adapter is None else {"repo_key": self.adapter.repo_key,
                                                              "strategy": self.adapter.strategy,
                                                              "created": self.adapter.created},
                "focal_has_error": self.focal_has_error, "warnings": list(self.warnings),
                "candidates": [asdict(c) for c in self.candidates]}


RETRIEVE = "retrieve"


def _code_key(candidate: Candidate) -> str:
    """Candidates with the same code up to whitespace are one candidate."""
    return normalize_whitespace(candidate.text)


def _repo_relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def retrieval_k(meta: AdapterMeta | None, requested: int | None, warnings: list[str]) -> int:
    """How many retrieved tests go into the input: the adapter's own k (training and generation must build
    inputs alike; a different request is noted in ``warnings``), else the request or the default."""
    if requested is not None and requested < 0:
        raise ValueError("retrieval must be 0 (off) or a positive number of tests")
    if meta is None:
        return DEFAULT_RETRIEVAL if requested is None else requested
    if requested is not None and requested != meta.retrieval:
        warnings.append(f"the {meta.strategy} adapter was customized with --retrieval {meta.retrieval}, so it "
                        f"generates with {meta.retrieval}; to use {requested}, run `testtailor customize-project "
                        f"{meta.worktree} --strategy {meta.strategy} --retrieval {requested}`")
    return meta.retrieval


@dataclass(frozen=True)
class _ModelInput:
    """One request's model (``ref`` None: the base model) and the input it is given."""

    ref: AdapterRef | None
    meta: AdapterMeta | None
    source: list[int]
    max_target: int
    n_retrieved: int
    warnings: list[str]


class Generator:
    """Generates tests with one base model and up to ``cached_adapters`` adapters switched in place (LRU).

    ``background_exports``: with an ONNX ``runtime``, a model not exported yet is exported in a worker thread
    (see :meth:`prepare_runtime`) while generation goes on with PyTorch, instead of blocking the first request
    for minutes; the CLI leaves it off and waits for the export once.
    """

    def __init__(self, store: AdapterStore | None = None, base_model: str | os.PathLike[str] | None = None,
                 device: str = "auto", max_new_tokens: int | None = None, cached_adapters: int = 3,
                 decoding: DecodingConfig | None = None, runtime: str = "torch",
                 background_exports: bool = False) -> None:
        self.store = store or AdapterStore()
        self.base_model_path = base_model
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.cached_adapters = cached_adapters
        self.decoding = decoding or DecodingConfig()
        self._base_prior: LengthPrior | None = None
        self._server: AdapterServer | None = None
        self._lock = threading.RLock()
        self._indexes: dict[Path, tuple[str, RetrievalIndex]] = {}  # root → (HEAD+status key, index)
        #: what decodes each model: PyTorch or its ONNX Runtime export (customizer.runners)
        self.runners = Runners(self.store, lambda: self.base, self._lock, runtime, background_exports,
                               cached_adapters)

    @property
    def server(self) -> AdapterServer:
        """The adapter server: the one base model (a private copy: serving changes it in place) and the adapters."""
        with self._lock:
            if self._server is None:
                base = load_base_model(self.base_model_path, self.device, cache=False)
                self._server = AdapterServer(self.store, base, max_adapters=self.cached_adapters)
            return self._server

    @property
    def base(self) -> BaseModel:
        """The served base model. Outside :meth:`AdapterServer.adapted` it computes as the checkpoint does, but
        it carries disabled prefix slots (and LoRA layers once a LoRA adapter was served): train on a model from
        :func:`customizer.model.load_base_model`, not on this one."""
        return self.server.base

    # --- public entry points -----------------------------------------------------------------------------

    def generate_for_position(self, repo: str | os.PathLike[str], file: str | os.PathLike[str], line: int,
                              column: int | None = None, k: int = 5, base_only: bool = False,
                              strategy: str | None = None, retrieval: int | None = None, validate: bool = False,
                              classpath: str | None = None, retrieved_first: int | None = None,
                              retrieved_only: bool = False) -> Generation:
        """Candidates for the method at (0-based ``line``, ``column``) of ``file`` (absolute or repo-relative).

        Without ``column`` the method at the line's first non-blank character is used, else the first one declared
        on the line (:func:`customizer.java.methods.method_on_line`). ``retrieval``: see
        :meth:`generate_for_source`. ``retrieved_first`` (default ``DEFAULT_RETRIEVED_FIRST``): up to that many of
        the project's nearest existing tests, adapted to the method, lead the model's candidates, leaving the model
        at least the last place when ``k`` > 1 (:func:`retrieved_tests_first`; none when the project has no tests).
        ``validate`` compiles and runs each candidate in the project (extra ``classpath`` entries) and ranks them by
        outcome (:mod:`customizer.validation`). ``retrieved_only``: the first ``k`` of those tests in the order the
        full list has them, nothing decoded (``NoTestsFoundError`` when the project has none).
        """
        path = Path(file)
        if not path.is_absolute():
            path = Path(repo) / path
        parsed = read_java_file(path)
        method = method_on_line(parsed, line) if column is None else method_at(parsed, line, column)
        if method is None:
            raise NoMethodAtPositionError(f"no method at line {line + 1} of {path}; put the cursor inside a "
                                          "method or on its signature")
        only_retrieval = strategy is not None and strategy.strip().lower() == RETRIEVE
        first = retrieved_tests_first(k, retrieved_first)
        if only_retrieval:
            generation = self.retrieve(repo, method.text, method.class_name, k, exclude=(path, method.signature))
        else:
            def model_input() -> _ModelInput:  # the model that answers and its input (loads the model)
                return self._model_input(method.text, focal_context(parsed, method), repo, base_only, strategy,
                                         retrieval, (path, method.signature))

            first = k if retrieved_only else first
            # the retrieved tests that lead: the re-ranker's order, re-ordered by the answering model's likelihood
            # only where the evaluation found that it helps (customizer.defaults.likelihood_orders; shipped off);
            # otherwise they need no model, and a list they fill loads none
            ordering = first > 0 and (likelihood_orders(adapter=True) or likelihood_orders(adapter=False))
            given = model_input() if ordering else None
            scorer = self._scorer(given) if given is not None and likelihood_orders(given.ref is not None) else None
            # the nearest tests that lead, and, where the model will decode, those its candidates are ordered by
            # (one retrieval: the order does not depend on the list's length, so these are the tests a list of
            # `first` would lead with)
            agree = not retrieved_only and agreement_applies(first, k)
            wanted = max(first, defaults.AGREEMENT_TESTS) if agree else first
            nearest = self._retrieved_for(repo, method, path, wanted, scorer) if wanted > 0 else None
            leading = (replace(nearest, candidates=nearest.candidates[:first])
                       if nearest is not None and first > 0 else None)
            if retrieved_only and (leading is None or not leading.candidates):
                raise NoTestsFoundError(f"{repo} has no mined tests to retrieve from")
            if leading is not None and (retrieved_only or len(leading.candidates) >= k):  # no decoding
                generation = leading
            else:
                generation = self._generate(given or model_input(), k)
                if agree and nearest is not None:
                    self._order_by_agreement(generation, nearest)
                if leading is not None:
                    self._lead_with(generation, leading, k)
        generation.method, generation.file = method, str(path)
        if method.has_error:
            generation.focal_has_error = True
            generation.warnings.append(f"{method.name} has syntax errors; the tests may be off until it is fixed")
        if validate:
            from customizer.validation import validate_generation

            validate_generation(generation, repo, classpath)
        return generation

    def _retrieved_for(self, repo: str | os.PathLike[str], method: MethodInfo, path: Path, n: int,
                       likelihood: Scorer | None = None) -> Generation | None:
        """The project's ``n`` nearest distinct existing tests adapted to ``method`` (None: it has none)."""
        try:
            return self.retrieve(repo, method.text, method.class_name, n, exclude=(path, method.signature),
                                 likelihood=likelihood)
        except (NoTestsFoundError, NoJavaFilesError, NotAGitRepositoryError):
            return None  # a project without tests (or history to index them by): the model's candidates only

    @staticmethod
    def _order_by_agreement(generation: Generation, nearest: Generation) -> None:
        """Order the model's candidates by their agreement with the project's nearest tests
        (:mod:`customizer.retrieval.agreement`); candidates with a defect stay after the others, in beam order."""
        tests = [c.text for c in nearest.candidates[:defaults.AGREEMENT_TESTS]]
        if not tests or len(generation.candidates) < 2:
            return
        order = agreement_order([c.text for c in generation.candidates], tests,
                                clean=[c.parses and not c.redeclares and not c.degenerate
                                       for c in generation.candidates])
        generation.candidates = [generation.candidates[i] for i in order]
        for rank, candidate in enumerate(generation.candidates, start=1):
            candidate.rank = rank
        generation.model_description += (f"; its candidates ordered by agreement with the project's "
                                          f"{len(tests)} nearest test{'s' if len(tests) > 1 else ''}")

    @staticmethod
    def _lead_with(generation: Generation, leading: Generation, k: int) -> None:
        """Put ``leading``'s (retrieved) candidates before the model's, duplicates dropped, ``k`` in all."""
        merged = lead_with(leading.candidates, generation.candidates, k, key=_code_key)
        for rank, candidate in enumerate(merged, start=1):
            candidate.rank = rank
        generation.candidates = merged
        generation.model_description += (f"; first {len(leading.candidates)}: the project's nearest existing "
                                          f"test{'s' if len(leading.candidates) > 1 else ''}")

    def generate_for_source(self, focal_text: str, context: FocalContext | dict[str, Any] | None = None,
                            k: int = 5, repo: str | os.PathLike[str] | None = None, base_only: bool = False,
                            strategy: str | None = None, retrieval: int | None = None,
                            focal: tuple[Path, str] | None = None) -> Generation:
        """Candidates for a focal method given as text, with its class context (None: no context).

        ``retrieval`` = k puts the project's k nearest existing tests into the input (needs ``repo``); an
        adapter is always used with the k it was customized with (a different request adds a warning), the
        base model with ``retrieval`` or ``DEFAULT_RETRIEVAL``. ``focal`` = (file, signature) of the method
        leaves its own tests out of the retrieved ones, as in training.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        return self._generate(self._model_input(focal_text, context, repo, base_only, strategy, retrieval, focal), k)

    def _model_input(self, focal_text: str, context: FocalContext | dict[str, Any] | None,
                     repo: str | os.PathLike[str] | None, base_only: bool, strategy: str | None,
                     retrieval: int | None, focal: tuple[Path, str] | None) -> _ModelInput:
        """Which model answers (adapter or base) and the encoded input it answers, as generation builds it."""
        ref, meta = self.model_for(repo, base_only=base_only or repo is None, strategy=strategy)
        level = ContextLevel(meta.input_level) if meta else ContextLevel.FULL
        focal_input, context_text = render_input(focal_text, context or FocalContext(class_name=""),
                                                 level if context is not None else ContextLevel.FM)
        warnings: list[str] = []
        n_retrieved = retrieval_k(meta, retrieval, warnings)
        limit = position_limit(self.base.model)
        max_source = clamp_length(meta.max_source, limit) if meta else source_budget(DEFAULT_MAX_SOURCE,
                                                                                     n_retrieved, limit)
        max_target = clamp_length(meta.max_target if meta else DEFAULT_MAX_TARGET, limit)
        class_name = (context.get("class_name", "") if isinstance(context, dict) else
                      context.class_name if context is not None else "")
        retrieved = self.retrieved_context(repo, focal_text, n_retrieved, class_name, focal) if repo else []
        source = encode_source(self.base.tokenizer, focal_input, context_text, max_source, retrieved)
        return _ModelInput(ref, meta, source, max_target, len(retrieved), warnings)

    def _generate(self, given: _ModelInput, k: int) -> Generation:
        meta = given.meta
        prior = LengthPrior.from_dict(meta.length_prior) if meta else None
        with self.server.adapted(given.ref) as module:  # the adapter switched in for this generation only
            candidates = self.candidates(module, given.source, k, prior, adapter=given.ref)
        description = self._describe(meta)
        if given.n_retrieved:
            description += f", with {given.n_retrieved} retrieved project tests in the input"
        return Generation(method=None, file=None, candidates=candidates, model_description=description,
                          adapter=meta, warnings=list(given.warnings))

    def _describe(self, meta: AdapterMeta | None) -> str:
        return self.base.description + " (not customized)" if meta is None else (
            f"{meta.strategy} adapter for {meta.repo_name} ({meta.created}) on {self.base.description}")

    def _scorer(self, given: _ModelInput) -> Scorer:
        """How likely the model that answers ``given`` finds each test (mean log-probability per token)."""
        def score(texts: Sequence[str]) -> np.ndarray:
            with self.server.adapted(given.ref) as module:
                return likelihood_scorer(module, self.base.tokenizer, given.source, given.max_target)(texts)
        return score

    def retrieved_context(self, repo: str | os.PathLike[str], focal_text: str, k: int, class_name: str = "",
                          focal: tuple[Path, str] | None = None) -> list[str]:
        """The rendered k nearest existing tests for a model input (none when the project has no tests)."""
        if k <= 0:
            return []
        try:
            root, index = self._index(repo)
        except (NoTestsFoundError, NoJavaFilesError):
            return []
        skip = None if focal is None else (_repo_relative(root, Path(focal[0])), focal[1])
        return retrieved_texts(index, focal_text, k, class_name=class_name, focal=skip)

    def retrieve(self, repo: str | os.PathLike[str], focal_text: str, class_name: str = "", k: int = 5,
                 exclude: tuple[Path, str] | None = None, likelihood: Scorer | None = None) -> Generation:
        """The ``retrieve`` strategy: the project's own nearest distinct existing tests, renamed to the query method.

        ``exclude`` = (focal file, signature) leaves out the tests of the query method itself. No model is
        loaded unless a ``likelihood`` scorer is given: then the re-ranker's first few are ordered with it too
        (:mod:`customizer.retrieval.likelihood`). The index is rebuilt when HEAD or the working tree's tracked
        files change.
        """
        root, index = self._index(repo)
        skip = None if exclude is None else (_repo_relative(root, exclude[0]), exclude[1])
        hits = nearest_adapted(index, focal_text, k, class_name=class_name, exclude_focal=skip, likelihood=likelihood)
        if not hits:
            raise NoTestsFoundError(f"{repo} has no mined tests to retrieve from; write a few tests first or "
                                    "use a model strategy")
        candidates = [Candidate(rank=rank, text=hit.adapted, score=hit.score, parses=parses_as_method(hit.adapted),
                                degenerate=False, source=f"retrieved: {hit.pair.test.class_}.{hit.pair.test.method}")
                      for rank, hit in enumerate(hits, start=1)]
        how = "ordered with the model's likelihood" if likelihood is not None else "no model"
        return Generation(method=None, file=None, candidates=candidates, adapter=None,
                          model_description=f"retrieval from {len(index)} existing tests of the project ({how})")

    def prepare_index(self, repo: str | os.PathLike[str]) -> int:
        """Build (or refresh) ``repo``'s retrieval index now, so that the first request does not pay for mining
        the project; returns how many existing tests it holds. Raises what mining raises (not a git repository,
        no Java files)."""
        return len(self._index(repo)[1])

    def _index(self, repo: str | os.PathLike[str]) -> tuple[Path, RetrievalIndex]:
        """The repository's index, cached per HEAD+status; from the pairs stored with its newest adapter when
        they are fresh (no mining), else mined again."""
        root, state = worktree_state(repo)
        with self._lock:
            cached = self._indexes.get(root)
            if cached is not None and cached[0] == state:
                return root, cached[1]
        try:
            meta = self.store.find(root)
        except AdapterError:
            meta = None
        pairs = stored_pairs(self.store, meta, state)
        index = RetrievalIndex(mine_repository(root).pairs if pairs is None else pairs)
        with self._lock:
            self._indexes[root] = (state, index)
        return root, index

    # --- models ------------------------------------------------------------------------------------------

    def model_for(self, repo: str | os.PathLike[str] | None, base_only: bool = False,
                  strategy: str | None = None) -> tuple[AdapterRef | None, AdapterMeta | None]:
        """Which adapter to generate with (None: the base model) and its meta, loaded into the server's cache.

        Without ``strategy`` the repository's newest adapter is used, or the base model if it has none. Generate
        inside ``with generator.server.adapted(ref) as module:``, which switches the adapter in place.
        """
        if base_only or repo is None:
            return None, None
        if strategy is None:
            found = self.store.find(repo)
            if found is None:
                return None, None
            key, strategy = found.repo_key, found.strategy
        else:
            key, strategy = repo_key(repo), get_strategy(strategy).name
        if self.store.signature(key, strategy) is None:
            raise AdapterError(f"no {strategy} adapter for {repo}; run `testtailor customize-project {repo} "
                               f"--strategy {strategy}` or generate with --base-only")
        entry = self.server.adapter(AdapterRef(key, strategy))  # loads, checks and caches it (or reloads it)
        return entry.ref, entry.meta

    # --- decoding ----------------------------------------------------------------------------------------

    @property
    def base_prior(self) -> LengthPrior:
        """The length prior shipped with the base model (``testtailor.json``), else the documented default."""
        with self._lock:
            if self._base_prior is None:
                self._base_prior = prior_for_model_dir(self.base.path)
            return self._base_prior

    def max_new_tokens_for(self, prior: LengthPrior | None = None) -> int:
        """The decoder's token budget: the Generator's explicit ``max_new_tokens``, else the prior's (legacy: 256),
        always within the model's position table."""
        limit = position_limit(self.base.model)
        cap = None if limit is None else limit - 1
        if self.max_new_tokens is not None:
            return clamp_length(self.max_new_tokens, cap)
        if not self.decoding.length_prior:
            return clamp_length(DEFAULT_MAX_NEW_TOKENS, cap)
        return (prior or self.base_prior).max_new_tokens(cap)

    # --- runtimes (customizer.runners) ----------------------------------------------------------------------

    @property
    def runtime(self) -> str:
        """``torch``, ``onnx``, ``onnx-int8`` or ``auto``: settable, the next generation uses it."""
        return self.runners.runtime

    @runtime.setter
    def runtime(self, value: str) -> None:
        self.runners.runtime = value

    @property
    def runtime_note(self) -> str | None:
        """Why the asked-for runtime did not decode the last generation (one line), if so."""
        return self.runners.runtime_note

    def runner(self, module: nn.Module, adapter: AdapterRef | None = None) -> Any:
        """What decodes for ``module`` (:meth:`customizer.runners.Runners.runner`)."""
        return self.runners.runner(module, adapter)

    def active_runtime(self) -> str:
        """The runtime that decodes (:meth:`customizer.runners.Runners.active_runtime`)."""
        return self.runners.active_runtime()

    def prepare_runtime(self, adapter: AdapterRef | None = None) -> Future[str | None] | None:
        """Start the export of the base model or ``adapter``'s (:meth:`customizer.runners.Runners.prepare_runtime`)."""
        return self.runners.prepare_runtime(adapter)

    def exports_in_progress(self) -> list[tuple[str, Future[str | None]]]:
        """(what is exported, its future) for each export still running."""
        return self.runners.exports_in_progress()

    def candidates(self, module: nn.Module, source_ids: list[int], k: int, prior: LengthPrior | None = None,
                   adapter: AdapterRef | None = None) -> list[Candidate]:
        """Beam search from token ids; ``k`` (or fewer, after removing duplicates) ranked candidates.

        ``prior``: the length prior of the tests the module was customized on (None: the base model's).
        ``adapter``: the adapter ``module`` was switched to by ``server.adapted`` (the ONNX runtime exports per
        adapter, since the served module is the same object for every swapped-in adapter).
        """
        [ranked] = self.candidates_batch(module, [source_ids], k, prior, adapter)
        return ranked

    @torch.no_grad()
    def candidates_batch(self, module: nn.Module, sources: list[list[int]], k: int,
                         prior: LengthPrior | None = None, adapter: AdapterRef | None = None
                         ) -> list[list[Candidate]]:
        """:meth:`candidates` for several inputs of one module in one beam search (inputs padded on the right and
        masked; each input's beams are independent, so a row's candidates are those it gets alone, up to
        floating-point rounding)."""
        if not sources:
            return []
        config = self.decoding
        prior = prior or self.base_prior
        beams = max(k, config.beams)
        max_new = self.max_new_tokens_for(prior)
        found = self._beam_search(module, sources, beams, max_new, prior, adapter)
        ranked = [self._ranked(seqs, scores, k, prior, max_new) for seqs, scores in found]
        wide = config.retry_beams
        again = [i for i, r in enumerate(ranked) if not any(c.parses for c in r)] if wide and wide > beams else []
        if again:  # no candidate parses: search those inputs again, wider, and rank both searches' beams together
            more = self._beam_search(module, [sources[i] for i in again], wide, max_new, prior, adapter)
            for i, (seqs, scores) in zip(again, more, strict=True):
                first_seqs, first_scores = found[i]
                ranked[i] = self._ranked(first_seqs + seqs, first_scores + scores, k, prior, max_new,
                                         retried_from=len(first_seqs))
        return ranked

    def _beam_search(self, module: nn.Module, sources: list[list[int]], beams: int, max_new: int,
                     prior: LengthPrior, adapter: AdapterRef | None) -> list[tuple[list[list[int]], list[float]]]:
        """One beam search over ``sources`` (padded on the right, masked): each input's ``beams`` sequences and
        their scores."""
        tokenizer = self.base.tokenizer
        config = self.decoding
        width = max(len(s) for s in sources)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        ids = torch.tensor([s + [pad] * (width - len(s)) for s in sources], device=self.base.device)
        mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in sources], device=self.base.device)
        processors = LogitsProcessorList([LoopBlocker(config.max_repeats, config.max_period)])
        if config.window_repeats is not None:
            processors.append(WindowLoopBlocker(config.window_repeats))
        if config.max_line_repeats is not None:
            processors.append(LineLoopStopper(tokenizer, config.max_line_repeats))
        if config.length_prior and config.eos_push and prior.p90 < max_new:
            # past the prior's 90th percentile, favour ending ever more (the decoder starts from one token)
            processors.append(ExponentialDecayLengthPenalty((prior.p90, config.eos_push), tokenizer.eos_token_id, 1))
        if config.syntax_penalty is not None:
            processors.append(SyntaxGuard(tokenizer, config.syntax_penalty))  # after the end-of-sequence push
        if config.declaration_shape:
            processors.append(DeclarationShapeBlocker(tokenizer))
        if config.stop_redeclared:
            processors.append(RedeclarationBlocker(tokenizer, grow_only=config.redeclared_grow_only))
            processors.append(RedeclarationStopper(tokenizer))  # last: nothing may rescale its end-of-sequence score
        out = self.runner(module, adapter).generate(input_ids=ids, attention_mask=mask, num_beams=beams,
                                                    num_return_sequences=beams, max_new_tokens=max_new,
                                                    do_sample=False, early_stopping=True, output_scores=True,
                                                    return_dict_in_generate=True, logits_processor=processors)
        sequences, scores = out.sequences.tolist(), out.sequences_scores.tolist()
        del out
        release_freed_memory()  # the search's activations: about 120 MB a server would otherwise keep
        return [(sequences[i * beams:(i + 1) * beams], scores[i * beams:(i + 1) * beams]) for i in range(len(sources))]

    def _ranked(self, sequences: list[list[int]], scores: list[float], k: int, prior: LengthPrior,
                max_new: int, retried_from: int | None = None) -> list[Candidate]:
        """One input's beams as ranked, de-duplicated (and, where the decoding allows, repaired) candidates; beams
        from index ``retried_from`` on come from the wider retry search (a duplicate keeps its first beam's)."""
        tokenizer = self.base.tokenizer
        config = self.decoding
        eos = tokenizer.eos_token_id
        special = set(tokenizer.all_special_ids)
        seen: set[str] = set()
        found: list[Candidate] = []
        lengths: list[int] = []
        for index, (sequence, score) in enumerate(zip(sequences, scores, strict=True)):
            text = tokenizer.decode(sequence, skip_special_tokens=True, clean_up_tokenization_spaces=False).strip()
            generated = sequence[1:]
            cut_off = eos not in generated or generated.index(eos) >= max_new - 1
            parses, repaired = parses_as_method(text), False
            if not parses and config.repair:
                fixed = repair_truncated(text, cut_off)
                if fixed is not None:
                    text, parses, repaired = fixed, True, True
            key = normalize_whitespace(text)
            if key in seen:
                continue
            seen.add(key)
            found.append(Candidate(rank=0, text=text, score=float(score), parses=parses,
                                   degenerate=cut_off or is_degenerate(text,
                                                                       line_repeats=config.degenerate_line_repeats),
                                   redeclares=config.redeclared_last and parses and bool(redeclared_locals(text)),
                                   hit_limit=cut_off, repaired=repaired,
                                   retried=retried_from is not None and index >= retried_from))
            lengths.append(sum(1 for t in generated if t not in special))
        ranked = rank_candidates(found, lengths, prior if config.length_prior else None, config.length_weight)
        ranked = sorted(ranked, key=lambda c: not c.text)[:k]  # an empty output (a beam that ended at once) last
        for position, candidate in enumerate(ranked, start=1):
            candidate.rank = position
        return ranked
