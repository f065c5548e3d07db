"""Generate ranked candidate tests for a focal method with the base model or a repository's adapter.

Decoding is beam search (``num_beams = max(k, 5)``) with the pieces of :mod:`customizer.decoding`: a loop
blocker that leaves legitimate repetition alone, ``max_new_tokens`` and a ranking term from a length prior fitted
to the project's tests (the base model's corpus without an adapter), and a repair that closes a test the
decoder left open when the result then parses. Candidates that do not parse, and degenerate ones (cut off at the
length limit, or looping), are ranked after the rest; whitespace-only duplicates are dropped.

:class:`Generator` keeps the base model and a few adapted models in memory (LRU) and reloads an adapter when
its file on disk changes, so the language server picks up a new customization without restarting.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from transformers import ExponentialDecayLengthPenalty, LogitsProcessorList

from customizer.adapters import AdapterMeta, AdapterStore, repo_key
from customizer.decoding import (
    DEGENERATE_REPEATS,
    MAX_REPEATS,
    DecodingConfig,
    LengthPrior,
    LoopBlocker,
    is_degenerate,
    prior_for_model_dir,
    repair_truncated,
)
from customizer.decoding import rank as rank_candidates
from customizer.defaults import DEFAULT_RETRIEVAL
from customizer.errors import AdapterError, NoJavaFilesError, NoMethodAtPositionError, NoTestsFoundError
from customizer.inputs import DEFAULT_MAX_SOURCE, clamp_length, encode_source, position_limit, source_budget
from customizer.java.context import ContextLevel, FocalContext, focal_context, render_input
from customizer.java.methods import MethodInfo, method_at
from customizer.java.parser import read_java_file
from customizer.java.snippets import parses_as_method
from customizer.java.source_text import normalize_whitespace
from customizer.mining.miner import mine_repository
from customizer.model import BaseModel, load_base_model
from customizer.retrieval import RetrievalIndex, adapt_test, retrieved_texts
from customizer.retrieval.stored import stored_pairs, worktree_state
from customizer.strategies import get_strategy

if TYPE_CHECKING:
    from customizer.validation import ValidationResult

DEFAULT_MAX_NEW_TOKENS = 256  # the legacy decoding's limit; the default now comes from the length prior
__all__ = ["DEGENERATE_REPEATS", "MAX_REPEATS", "Candidate", "Generation", "Generator", "LoopBlocker",
           "is_degenerate", "parses_as_method"]


@dataclass
class Candidate:
    rank: int  # 1 = best
    text: str
    score: float  # beam score: length-normalized log-probability
    parses: bool  # a complete Java method (no ERROR/MISSING nodes when wrapped in a class)
    degenerate: bool  # cut off at the length limit, or looping
    source: str = "model"  # "model", or "retrieved: <TestClass>.<method>" for the project's own nearest test
    hit_limit: bool = False  # the decoder was cut at max_new_tokens (before any repair)
    repaired: bool = False  # open braces were closed (after cutting back to the last statement if cut off)
    validation: ValidationResult | None = None  # compiled and run in the project (opt-in: validate=True)


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


class Generator:
    """Generates tests; caches the base model and up to ``cached_adapters`` adapted models (LRU)."""

    def __init__(self, store: AdapterStore | None = None, base_model: str | os.PathLike[str] | None = None,
                 device: str = "auto", max_new_tokens: int | None = None, cached_adapters: int = 3,
                 decoding: DecodingConfig | None = None, runtime: str = "torch") -> None:
        self.store = store or AdapterStore()
        self.runtime = runtime  # "torch", or "onnx"/"onnx-int8": ONNX Runtime on the CPU (customizer.ort)
        self.runtime_note: str | None = None  # why the asked-for runtime is not used (one line), if so
        self._onnx: Any = None
        self.base_model_path = base_model
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.cached_adapters = cached_adapters
        self.decoding = decoding or DecodingConfig()
        self._base_prior: LengthPrior | None = None
        self._base: BaseModel | None = None
        self._adapted: OrderedDict[tuple[str, str], tuple[Any, AdapterMeta, nn.Module]] = OrderedDict()
        self._lock = threading.RLock()
        self._indexes: dict[Path, tuple[str, RetrievalIndex]] = {}  # root → (HEAD+status key, index)

    @property
    def base(self) -> BaseModel:
        with self._lock:
            if self._base is None:
                self._base = load_base_model(self.base_model_path, self.device)
            return self._base

    # --- public entry points -----------------------------------------------------------------------------

    def generate_for_position(self, repo: str | os.PathLike[str], file: str | os.PathLike[str], line: int,
                              column: int | None = None, k: int = 5, base_only: bool = False,
                              strategy: str | None = None, retrieval: int | None = None, validate: bool = False,
                              classpath: str | None = None) -> Generation:
        """Candidates for the method at (0-based ``line``, ``column``) of ``file`` (absolute or repo-relative).

        Without ``column`` the first non-blank character of the line is used. ``retrieval``: see
        :meth:`generate_for_source`. ``validate`` compiles and runs each candidate in the project (extra
        ``classpath`` entries) and ranks them by outcome (:mod:`customizer.validation`).
        """
        path = Path(file)
        if not path.is_absolute():
            path = Path(repo) / path
        parsed = read_java_file(path)
        if column is None:
            text = parsed.line_text(line)
            column = len(text) - len(text.lstrip())
        method = method_at(parsed, line, column)
        if method is None:
            raise NoMethodAtPositionError(f"no method at line {line + 1} of {path}; put the cursor inside a "
                                          "method or on its signature")
        if strategy is not None and strategy.strip().lower() == RETRIEVE:
            generation = self.retrieve(repo, method.text, method.class_name, k, exclude=(path, method.signature))
        else:
            generation = self.generate_for_source(method.text, focal_context(parsed, method), k=k, repo=repo,
                                                  base_only=base_only, strategy=strategy, retrieval=retrieval,
                                                  focal=(path, method.signature))
        generation.method, generation.file = method, str(path)
        if method.has_error:
            generation.focal_has_error = True
            generation.warnings.append(f"{method.name} has syntax errors; the tests may be off until it is fixed")
        if validate:
            from customizer.validation import validate_generation

            validate_generation(generation, repo, classpath)
        return generation

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
        module, meta = self.model_for(repo, base_only=base_only or repo is None, strategy=strategy)
        level = ContextLevel(meta.input_level) if meta else ContextLevel.FULL
        focal_input, context_text = render_input(focal_text, context or FocalContext(class_name=""),
                                                 level if context is not None else ContextLevel.FM)
        warnings: list[str] = []
        n_retrieved = retrieval_k(meta, retrieval, warnings)
        limit = position_limit(self.base.model)
        max_source = clamp_length(meta.max_source, limit) if meta else source_budget(DEFAULT_MAX_SOURCE,
                                                                                     n_retrieved, limit)
        class_name = (context.get("class_name", "") if isinstance(context, dict) else
                      context.class_name if context is not None else "")
        retrieved = self.retrieved_context(repo, focal_text, n_retrieved, class_name, focal) if repo else []
        source = encode_source(self.base.tokenizer, focal_input, context_text, max_source, retrieved)
        candidates = self.candidates(module, source, k,
                                     LengthPrior.from_dict(meta.length_prior) if meta else None)
        description = self.base.description + " (not customized)" if meta is None else (
            f"{meta.strategy} adapter for {meta.repo_name} ({meta.created}) on {self.base.description}")
        if retrieved:
            description += f", with {len(retrieved)} retrieved project tests in the input"
        return Generation(method=None, file=None, candidates=candidates, model_description=description,
                          adapter=meta, warnings=warnings)

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
                 exclude: tuple[Path, str] | None = None) -> Generation:
        """The ``retrieve`` strategy: the project's own nearest existing tests, renamed to the query method.

        ``exclude`` = (focal file, signature) leaves out the tests of the query method itself. No model is
        loaded. The index is rebuilt when HEAD or the working tree's tracked files change.
        """
        root, index = self._index(repo)
        skip = None if exclude is None else (_repo_relative(root, exclude[0]), exclude[1])
        hits = index.query(focal_text, k=k, class_name=class_name, exclude_focal=skip)
        if not hits:
            raise NoTestsFoundError(f"{repo} has no mined tests to retrieve from; write a few tests first or "
                                    "use a model strategy")
        candidates = []
        for rank, hit in enumerate(hits, start=1):
            text = adapt_test(hit.pair.test.body, hit.pair.focal.body, focal_text, hit.pair.focal.class_,
                              class_name)
            candidates.append(Candidate(rank=rank, text=text, score=hit.score, parses=parses_as_method(text),
                                        degenerate=False,
                                        source=f"retrieved: {hit.pair.test.class_}.{hit.pair.test.method}"))
        return Generation(method=None, file=None, candidates=candidates, adapter=None,
                          model_description=f"retrieval from {len(index)} existing tests of the project (no model)")

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
                  strategy: str | None = None) -> tuple[nn.Module, AdapterMeta | None]:
        """The module to generate with and its adapter's meta (None: the base model).

        Without ``strategy`` the repository's newest adapter is used, or the base model if it has none.
        """
        base = self.base
        if base_only or repo is None:
            return base.model, None
        if strategy is None:
            found = self.store.find(repo)
            if found is None:
                return base.model, None
            key, strategy = found.repo_key, found.strategy
        else:
            key, strategy = repo_key(repo), get_strategy(strategy).name
        signature = self.store.signature(key, strategy)
        if signature is None:
            raise AdapterError(f"no {strategy} adapter for {repo}; run `testtailor customize-project {repo} "
                               f"--strategy {strategy}` or generate with --base-only")
        with self._lock:
            cached = self._adapted.get((key, strategy))
            if cached is not None and cached[0] == signature:
                self._adapted.move_to_end((key, strategy))
                return cached[2], cached[1]
            meta, state = self.store.load(key, strategy, base.fingerprint, str(base.path))
            model = copy.deepcopy(base.model)
            module = get_strategy(meta.strategy, **meta.strategy_options).load_state_dict(model, state)
            module.eval()
            self._adapted[(key, strategy)] = (signature, meta, module)
            self._adapted.move_to_end((key, strategy))
            while len(self._adapted) > self.cached_adapters:
                self._adapted.popitem(last=False)
            return module, meta

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

    def runner(self, module: nn.Module) -> Any:
        """What decodes for ``module``: itself, or its ONNX Runtime export when ``runtime`` asks for one.

        When the export is not possible the module decodes with PyTorch and ``runtime_note`` says why.
        """
        if self.runtime == "torch":
            self.runtime_note = None
            return module
        from customizer.errors import OnnxExportError
        from customizer.ort import OnnxRuntimeCache
        from customizer.ort.runtime import fallback_message

        with self._lock:
            if self._onnx is None or self._onnx.runtime != self.runtime:
                self._onnx = OnnxRuntimeCache(self.runtime)
        try:
            runner = self._onnx.runner(module, self.base.model, self.base.fingerprint)
        except OnnxExportError as exc:
            note = fallback_message(self.runtime, exc.message)
            if note != self.runtime_note:
                logging.getLogger(__name__).info("%s", note)
            self.runtime_note = note
            return module
        self.runtime_note = None
        return runner

    @torch.no_grad()
    def candidates(self, module: nn.Module, source_ids: list[int], k: int,
                   prior: LengthPrior | None = None) -> list[Candidate]:
        """Beam search from token ids; ``k`` (or fewer, after removing duplicates) ranked candidates.

        ``prior``: the length prior of the tests the module was customized on (None: the base model's).
        """
        tokenizer = self.base.tokenizer
        config = self.decoding
        prior = prior or self.base_prior
        beams = max(k, config.beams)
        ids = torch.tensor([source_ids], device=self.base.device)
        max_new = self.max_new_tokens_for(prior)
        processors = LogitsProcessorList([LoopBlocker(config.max_repeats, config.max_period)])
        if config.length_prior and config.eos_push and prior.p90 < max_new:
            # past the prior's 90th percentile, favour ending ever more (the decoder starts from one token)
            processors.append(ExponentialDecayLengthPenalty((prior.p90, config.eos_push), tokenizer.eos_token_id, 1))
        out = self.runner(module).generate(input_ids=ids, attention_mask=torch.ones_like(ids), num_beams=beams,
                                           num_return_sequences=beams, max_new_tokens=max_new, do_sample=False,
                                           early_stopping=True, output_scores=True, return_dict_in_generate=True,
                                           logits_processor=processors)
        eos = tokenizer.eos_token_id
        special = set(tokenizer.all_special_ids)
        seen: set[str] = set()
        found: list[Candidate] = []
        lengths: list[int] = []
        for sequence, score in zip(out.sequences.tolist(), out.sequences_scores.tolist(), strict=True):
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
                                   hit_limit=cut_off, repaired=repaired))
            lengths.append(sum(1 for t in generated if t not in special))
        ranked = rank_candidates(found, lengths, prior if config.length_prior else None, config.length_weight)[:k]
        for position, candidate in enumerate(ranked, start=1):
            candidate.rank = position
        return ranked
