"""Compile and pass rates in the evaluation: validate each system's candidates in the evaluated repository.

Each held-out pair's candidates are placed into the test class of the developer's test (``pair.test.file``),
exactly as :func:`customizer.placement.place_test` would place them for a user, and validated with
:class:`customizer.validation.Validator` (scratch copy, ``javac``, only the new method run by the JUnit console
launcher). A row then carries ``validation``: the outcome of every candidate of the top 5, the top-1 outcome and
the best one (ranked passing > failing > timeout > unchecked > not compiling > not parsing).

A project whose own sources do not compile here (missing dependency jars, a newer JDK feature) makes every
candidate ``unchecked``; the runner records why in ``<out>/<repo>/validation-build.json`` so the report can say
which projects were built and why the others were not, instead of silently dropping them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from customizer.evaluate.scoring import TOP_K
from customizer.mining.pairs import Pair
from customizer.validation.outcome import Outcome, ValidationResult, outcome_rank

BUILD_FILE = "validation-build.json"
CONVENTIONS_FILE = "conventions.json"
COMPILING = (Outcome.PASSING.value, Outcome.FAILING.value, Outcome.TIMEOUT.value)
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.MULTILINE)
_MESSAGE_CHARS = 240


@dataclass(frozen=True)
class _Focal:
    """What placement needs of the focal method (``customizer.placement.FocalMethod``)."""

    name: str
    package: str


def _package_of(path: Path) -> str:
    try:
        match = _PACKAGE.search(path.read_text(encoding="utf-8", errors="replace")[:20000])
    except OSError:
        return ""
    return match.group(1) if match else ""


def repo_conventions(repo: Path, out: Path, name: str) -> Any:
    """The repository's mined conventions, cached beside its pairs (placement needs framework and asserts)."""
    from customizer.errors import NoJavaFilesError, NoTestsFoundError
    from customizer.mining.conventions import TestConventions
    from customizer.mining.miner import mine_repository

    cache = out / name / CONVENTIONS_FILE
    if cache.exists():
        return TestConventions.from_dict(json.loads(cache.read_text(encoding="utf-8")))
    try:
        conventions = mine_repository(repo).conventions
    except (NoTestsFoundError, NoJavaFilesError):
        conventions = TestConventions()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(conventions.to_dict(), indent=1) + "\n", encoding="utf-8")
    return conventions


def best_outcome(outcomes: Sequence[str]) -> str:
    """The best outcome among ``outcomes`` (``not_parsing`` for none): what best-of-k counts."""
    if not outcomes:
        return Outcome.NOT_PARSING.value
    return min(outcomes, key=lambda o: outcome_rank(ValidationResult(Outcome(o))))


class CandidateValidator:
    """Validates the candidates of one repository's pairs, remembering results of identical placed tests.

    Systems often propose the same test (retrieval and a model that copied it; the same candidate for two pairs
    of one class), so each distinct (test file, final text) is compiled and run once per evaluation call.
    """

    def __init__(self, repo: Path, conventions: Any, classpath: str | None = None, cache_dir: Path | None = None,
                 test_timeout: float | None = None) -> None:
        from customizer.validation.validator import DEFAULT_TEST_TIMEOUT, Validator

        self.repo = repo.resolve()
        self.conventions = conventions
        self.validator = Validator(self.repo, classpath, cache_dir=cache_dir, main_roots=conventions.main_roots,
                                   test_roots=conventions.test_roots,
                                   test_timeout=test_timeout or DEFAULT_TEST_TIMEOUT)
        self._memo: dict[str, ValidationResult] = {}
        self._modules: dict[str, dict[str, Any]] = {}  # every module checked so far, for the build record
        self.validated = 0  # candidates compiled/run in this call (memo hits not counted)
        self.control: dict[str, Any] | None = None  # the developers' own tests, validated (reference_control)

    def validate_pair(self, pair: Pair, candidates: Sequence[str]) -> dict[str, Any]:
        """The ``validation`` entry of a row: outcome and message of each of the first ``TOP_K`` candidates."""
        from customizer.errors import TestTailorError
        from customizer.placement import place_test

        focal_file = self.repo / pair.focal.file
        focal = _Focal(pair.focal.method, _package_of(focal_file))
        results: list[ValidationResult | None] = []
        pending: list[tuple[int, str, Any]] = []
        for i, text in enumerate(candidates[:TOP_K]):
            try:
                edit = place_test(self.repo, self.conventions, focal_file, focal, text, test_path=pair.test.file)
            except TestTailorError as exc:  # the developer's test file cannot take a method
                results.append(ValidationResult(Outcome.UNCHECKED, exc.message))
                continue
            key = hashlib.sha1(f"{edit.path}\0{edit.final_text}".encode()).hexdigest()
            results.append(self._memo.get(key))
            if key not in self._memo:
                pending.append((i, key, edit))
        fresh = self.validator.validate_edits([edit for _, _, edit in pending])
        self.validated += len(fresh)
        for (i, key, _), result in zip(pending, fresh, strict=True):
            self._memo[key] = results[i] = result
        done = [r for r in results if r is not None]
        outcomes = [r.outcome.value for r in done]
        return {"outcomes": outcomes, "messages": [r.message[:_MESSAGE_CHARS] for r in done],
                "top1": outcomes[0] if outcomes else Outcome.NOT_PARSING.value, "best5": best_outcome(outcomes)}

    def build_record(self, test_files: Sequence[str]) -> dict[str, Any]:
        """Whether the project's modules holding ``test_files`` (and those checked before) compile here, and why
        not: what the report says about the project. Builds are cached, so asking again is cheap."""
        from customizer.validation.compiled_project import compile_project

        validator = self.validator
        modules = self._modules
        for rel in dict.fromkeys(test_files):
            cp = validator.project_classpath(self.repo / rel)
            key = str(cp.module.relative_to(self.repo)) if cp.module != self.repo else "."
            if key in modules:
                continue
            entry: dict[str, Any] = {"build_system": cp.build_system, "notes": list(cp.notes),
                                     "launcher": bool(cp.launcher), "jars": len(cp.jars)}
            if validator.jdk is None:
                entry.update(builds=False, reason="no JDK on this machine")
            elif not cp.launcher:
                entry.update(builds=False, reason="; ".join(cp.notes) or "no JUnit console launcher")
            else:
                with validator._build_lock:
                    compiled = compile_project(cp, validator.jdk, validator.cache_dir, validator.compile_timeout)
                builds = compiled.main is not None or bool(cp.main_outputs)
                roots = ", ".join(str(r.relative_to(self.repo)) for r in cp.main_sources if r.is_relative_to(self.repo))
                reason = "" if builds else f"production sources ({roots}) do not compile: {compiled.main_error}"
                if builds and compiled.test is None:
                    reason = "the project's test sources do not compile (candidates compiled without them)"
                elif builds and compiled.skipped_tests:
                    reason = f"{len(compiled.skipped_tests)} test source files do not compile and were left out"
                if reason and cp.notes:  # missing jars are the usual cause: say which
                    reason += f" ({'; '.join(cp.notes)})"
                entry.update(builds=builds, reason=reason[:600], skipped_tests=len(compiled.skipped_tests))
            modules[key] = entry
        builds = bool(modules) and all(m["builds"] for m in modules.values())
        reasons = [f"{k}: {m['reason']}" if k != "." else m["reason"] for k, m in modules.items()
                   if not m["builds"] or m.get("reason")]
        return {"builds": builds, "reason": "; ".join(reasons)[:1000], "modules": modules}


def reference_control(validator: CandidateValidator, pairs: Sequence[Pair], limit: int = 5) -> dict[str, Any]:
    """The developers' own tests of up to ``limit`` pairs, validated exactly like candidates: a control that tells
    apart "the candidates fail" from "no test passes here" (missing resources, build-time generated data)."""
    outcomes = [validator.validate_pair(p, [p.test.body])["top1"] for p in list(pairs)[:limit]]
    return {"pairs": len(outcomes), "compiles": sum(o in COMPILING for o in outcomes),
            "passes": sum(o == Outcome.PASSING.value for o in outcomes), "outcomes": outcomes}


def write_build_record(out: Path, repo_name: str, record: dict[str, Any]) -> None:
    path = out / repo_name / BUILD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def read_build_records(out: Path) -> dict[str, dict[str, Any]]:
    """repo → its build record, for every repository of ``out`` that was validated."""
    return {p.parent.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob(f"*/{BUILD_FILE}"))}


def is_validated(rows: Sequence[dict[str, Any]]) -> bool:
    return all("validation" in r for r in rows)


def has_candidates(rows: Sequence[dict[str, Any]]) -> bool:
    return all("candidates" in r for r in rows)
