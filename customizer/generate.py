"""Generate ranked candidate tests for a focal method with the base model or a repository's adapter.

Decoding is beam search (``num_beams = max(k, 5)``). Code repeats legitimately (``assertEquals`` lines, argument
lists), so n-gram blocking is wrong for it; what breaks outputs is a short unit looping to the length limit
(``"%s%s%s…"``, ``"c", "c", …``). :class:`LoopBlocker` therefore forbids only the token that would repeat a
unit of 1–4 tokens more than ``max_repeats`` times in a row. Every candidate is parsed with tree-sitter as a
method inside a class: those that do not parse, and degenerate ones (cut off at the length limit, or with a
unit repeated 10+ times, TeCo's criterion), are ranked after the rest; whitespace-only duplicates are dropped.

:class:`Generator` keeps the base model and a few adapted models in memory (LRU) and reloads an adapter when
its file on disk changes, so the language server picks up a new customization without restarting.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import LogitsProcessor, LogitsProcessorList

from customizer.adapters import AdapterMeta, AdapterStore, repo_key
from customizer.errors import AdapterError, NoMethodAtPositionError, NoTestsFoundError
from customizer.inputs import DEFAULT_MAX_SOURCE, clamp_length, encode_source, position_limit
from customizer.java.context import ContextLevel, FocalContext, focal_context, render_input
from customizer.java.methods import MethodInfo, method_at
from customizer.java.parser import read_java_file
from customizer.java.snippets import parses_as_method
from customizer.java.source_text import normalize_whitespace
from customizer.mining.miner import mine_repository
from customizer.model import BaseModel, load_base_model
from customizer.retrieval import RetrievalIndex, adapt_test
from customizer.strategies import get_strategy

DEFAULT_MAX_NEW_TOKENS = 256
MAX_REPEATS = 8  # a unit of 1..4 tokens may repeat this many times in a row while decoding
DEGENERATE_REPEATS = 10  # a unit of 1..4 code tokens repeated this often marks a candidate degenerate
_CODE_TOKEN = re.compile(r"[A-Za-z_$][\w$]*|\d+|\S")


@dataclass
class Candidate:
    rank: int  # 1 = best
    text: str
    score: float  # beam score: length-normalized log-probability
    parses: bool  # a complete Java method (no ERROR/MISSING nodes when wrapped in a class)
    degenerate: bool  # cut off at the length limit, or looping
    source: str = "model"  # "model", or "retrieved: <TestClass>.<method>" for the project's own nearest test


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


class LoopBlocker(LogitsProcessor):
    """Forbid the next token when it would repeat a unit of 1..``max_period`` tokens more than
    ``max_repeats`` times in a row."""

    def __init__(self, max_repeats: int = MAX_REPEATS, max_period: int = 4) -> None:
        self.max_repeats = max_repeats
        self.max_period = max_period

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row, sequence in enumerate(input_ids.tolist()):
            for period in range(1, self.max_period + 1):
                span = period * self.max_repeats
                if len(sequence) >= span and sequence[-span:] == sequence[-period:] * self.max_repeats:
                    scores[row, sequence[-period]] = -float("inf")
        return scores


def is_degenerate(text: str, repeats: int = DEGENERATE_REPEATS, max_period: int = 4) -> bool:
    """True when a unit of 1..``max_period`` code tokens occurs ``repeats`` times in a row."""
    tokens = _CODE_TOKEN.findall(text)
    for period in range(1, max_period + 1):
        run = 0
        for i in range(period, len(tokens)):
            run = run + 1 if tokens[i] == tokens[i - period] else 0
            if run >= period * (repeats - 1):
                return True
    return False


class Generator:
    """Generates tests; caches the base model and up to ``cached_adapters`` adapted models (LRU)."""

    def __init__(self, store: AdapterStore | None = None, base_model: str | os.PathLike[str] | None = None,
                 device: str = "auto", max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS, cached_adapters: int = 3,
                 max_repeats: int = MAX_REPEATS) -> None:
        self.store = store or AdapterStore()
        self.base_model_path = base_model
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.cached_adapters = cached_adapters
        self.max_repeats = max_repeats
        self._base: BaseModel | None = None
        self._adapted: OrderedDict[tuple[str, str], tuple[Any, AdapterMeta, nn.Module]] = OrderedDict()
        self._lock = threading.RLock()
        self._indexes: dict[str, tuple[tuple[str, str, str], RetrievalIndex]] = {}

    @property
    def base(self) -> BaseModel:
        with self._lock:
            if self._base is None:
                self._base = load_base_model(self.base_model_path, self.device)
            return self._base

    # --- public entry points -----------------------------------------------------------------------------

    def generate_for_position(self, repo: str | os.PathLike[str], file: str | os.PathLike[str], line: int,
                              column: int | None = None, k: int = 5, base_only: bool = False,
                              strategy: str | None = None) -> Generation:
        """Candidates for the method at (0-based ``line``, ``column``) of ``file`` (absolute or repo-relative).

        Without ``column`` the first non-blank character of the line is used.
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
                                                  base_only=base_only, strategy=strategy)
        generation.method, generation.file = method, str(path)
        if method.has_error:
            generation.focal_has_error = True
            generation.warnings.append(f"{method.name} has syntax errors; the tests may be off until it is fixed")
        return generation

    def generate_for_source(self, focal_text: str, context: FocalContext | dict[str, Any] | None = None,
                            k: int = 5, repo: str | os.PathLike[str] | None = None, base_only: bool = False,
                            strategy: str | None = None) -> Generation:
        """Candidates for a focal method given as text, with its class context (None: no context)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        module, meta = self.model_for(repo, base_only=base_only or repo is None, strategy=strategy)
        level = ContextLevel(meta.input_level) if meta else ContextLevel.FULL
        focal, context_text = render_input(focal_text, context or FocalContext(class_name=""),
                                           level if context is not None else ContextLevel.FM)
        source = encode_source(self.base.tokenizer, focal, context_text,
                               clamp_length(meta.max_source if meta else DEFAULT_MAX_SOURCE,
                                            position_limit(self.base.model)))
        candidates = self.candidates(module, source, k)
        description = self.base.description + " (not customized)" if meta is None else (
            f"{meta.strategy} adapter for {meta.repo_name} ({meta.created}) on {self.base.description}")
        return Generation(method=None, file=None, candidates=candidates, model_description=description,
                          adapter=meta)

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
        from customizer.mining.gitfiles import head_commit, open_repository

        git_repo = open_repository(repo)
        key = (str(Path(git_repo.working_tree_dir or repo).resolve()), head_commit(git_repo),
               git_repo.git.status("--porcelain", "--untracked-files=no"))
        with self._lock:
            cached = self._indexes.get(key[0])
            if cached is not None and cached[0] == key:
                return Path(key[0]), cached[1]
        index = RetrievalIndex(mine_repository(repo).pairs)
        with self._lock:
            self._indexes[key[0]] = (key, index)
        return Path(key[0]), index

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

    @torch.no_grad()
    def candidates(self, module: nn.Module, source_ids: list[int], k: int) -> list[Candidate]:
        """Beam search from token ids; ``k`` (or fewer, after removing duplicates) ranked candidates."""
        tokenizer = self.base.tokenizer
        beams = max(k, 5)
        ids = torch.tensor([source_ids], device=self.base.device)
        limit = position_limit(self.base.model)
        max_new = clamp_length(self.max_new_tokens, None if limit is None else limit - 1)
        out = module.generate(input_ids=ids, attention_mask=torch.ones_like(ids), num_beams=beams,
                              num_return_sequences=beams, max_new_tokens=max_new, do_sample=False,
                              early_stopping=True, output_scores=True, return_dict_in_generate=True,
                              logits_processor=LogitsProcessorList([LoopBlocker(self.max_repeats)]))
        eos = tokenizer.eos_token_id
        seen: set[str] = set()
        found: list[Candidate] = []
        for sequence, score in zip(out.sequences.tolist(), out.sequences_scores.tolist(), strict=True):
            text = tokenizer.decode(sequence, skip_special_tokens=True, clean_up_tokenization_spaces=False).strip()
            key = normalize_whitespace(text)
            if key in seen:
                continue
            seen.add(key)
            generated = sequence[1:]
            cut_off = eos not in generated or generated.index(eos) >= max_new - 1
            found.append(Candidate(rank=0, text=text, score=float(score), parses=parses_as_method(text),
                                   degenerate=cut_off or is_degenerate(text)))
        found.sort(key=lambda c: (not c.parses, c.degenerate, -c.score))
        for rank, candidate in enumerate(found[:k], start=1):
            candidate.rank = rank
        return found[:k]
