"""The model-thread side of a request: re-find the method, generate candidates, place them.

Plain functions over ``customizer``; the feature modules call them through ``TestTailorServer.in_model_thread``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from customizer.errors import NoJavaFilesError, NoMethodAtPositionError, NoTestsFoundError, TestTailorError
from customizer.java import MethodInfo, ParsedFile, list_methods, method_at, parse_java
from customizer.java.tests import detect_tests
from customizer.mining.conventions import TestConventions
from customizer.placement import TestEdit, place_test

if TYPE_CHECKING:
    from customizer.validation import ValidationResult


def is_in_test_class(parsed: ParsedFile, method: MethodInfo) -> bool:
    if "Test" not in parsed.text:  # cheap: no @Test, TestCase or TestNG anywhere
        return False
    return any(info.type.class_path == method.class_path for info in detect_tests(parsed))


def testable_method_at(parsed: ParsedFile, line: int, column: int) -> MethodInfo | None:
    """The method a "Generate unit test" action is offered for at (line, column), or None."""
    method = method_at(parsed, line, column)
    if method is None or not method.has_body or method.has_error:
        return None
    return None if is_in_test_class(parsed, method) else method


def find_method(parsed: ParsedFile, name: str, line: int) -> MethodInfo:
    """The method ``name`` nearest to ``line`` (it may have moved since the action was listed)."""
    same_name = [m for m in list_methods(parsed) if m.name == name and m.has_body]
    if not same_name:
        raise NoMethodAtPositionError(f"method `{name}` is no longer in {Path(parsed.path or '').name}; "
                                      "put the cursor on a method and ask for the action again")
    return min(same_name, key=lambda m: abs(m.start_line - line))


def head_commit(repo: Path) -> str:
    """The repository's HEAD commit ("" when unknown): mined conventions are cached per HEAD."""
    try:
        done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def conventions_for(cache: dict[Path, Any], repo: Path) -> TestConventions:
    """The repository's mined test conventions, cached per HEAD commit; defaults when it has no tests yet."""
    head = head_commit(repo)
    cached = cache.get(repo)
    if cached is not None and cached[0] == head:
        return cached[1]
    from customizer.mining.miner import mine_repository

    try:
        conventions = mine_repository(repo).conventions
    except (NoTestsFoundError, NoJavaFilesError):
        conventions = TestConventions()
    cache[repo] = (head, conventions)
    return conventions


@dataclass(frozen=True)
class Placed:
    rank: int
    text: str
    score: float
    parses: bool
    edit: TestEdit
    validation: ValidationResult | None = None  # set when testtailor.validate is on
    defects: tuple[str, ...] = ()  # what is visibly wrong with it, for people (customizer.generate.Candidate)


@dataclass(frozen=True)
class Result:
    method: MethodInfo
    model: str
    placed: list[Placed]

    def best(self) -> Placed:
        """The first candidate that parses and is not degenerate, else the first that parses, else the first."""
        return self.placed[0]


def generate_placed(get_generator: Callable[[], Any], conventions_cache: dict[Path, Any], repo: Path, path: Path,
                    text: str, name: str, line: int, k: int, strategy: str, open_texts: Mapping[Path, str],
                    validate: bool = False, classpath: str = "", retrieved_first: int | None = None,
                    retrieved_only: bool = False) -> Result:
    """Generate ``k`` candidates for method ``name`` (near ``line``) of the buffer ``text`` and place each;
    with ``validate``, compile and run each placed candidate and rank them by outcome (best first).
    ``retrieved_first``: the project's nearest existing tests, adapted, lead (``Generator.generate_for_position``);
    ``retrieved_only``: those tests alone, in the full list's order, nothing decoded.

    ``get_generator`` is called only once the request is known to be valid: loading the model is the slow part.
    """
    parsed = parse_java(text, str(path))
    method = find_method(parsed, name, line)
    try:
        on_disk = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except OSError as exc:
        raise TestTailorError(f"cannot read {path} ({exc.strerror}); save the file first") from exc
    if on_disk != parsed.text:
        raise TestTailorError(f"{path.name} has unsaved changes; save it and run the action again")
    from customizer.adapters import AdapterStore

    # not customized yet: the base model (retrieval needs no adapter)
    base_only = strategy != "retrieve" and AdapterStore().find(repo, strategy) is None
    generation = get_generator().generate_for_position(repo, path, method.name_line, method.name_col, k=k,
                                                 base_only=base_only, strategy=strategy,
                                                 retrieved_first=retrieved_first, retrieved_only=retrieved_only)
    conventions = conventions_for(conventions_cache, repo)
    candidates = sorted(generation.candidates, key=lambda c: (not (c.parses and not c.degenerate
                                                                   and not c.redeclares), not c.parses, c.rank))
    placed = []
    for candidate in candidates:
        edit = _place(repo, conventions, path, method, candidate.text, open_texts)
        placed.append(Placed(candidate.rank, candidate.text, float(candidate.score), bool(candidate.parses), edit,
                             defects=candidate.defects))
    if not placed:
        raise TestTailorError(f"the model produced no test for `{name}`; try again with more candidates")
    if validate:
        placed = validate_placed(repo, conventions, placed, classpath)
    return Result(method=method, model=str(generation.model_description), placed=placed)


def validate_placed(repo: Path, conventions: TestConventions, placed: list[Placed],
                    classpath: str = "") -> list[Placed]:
    """Each candidate compiled and run as placed (the editor's buffer of the test file included), best first."""
    from customizer.validation import Validator, rank_by_validation

    validator = Validator(repo, classpath or None, main_roots=conventions.main_roots,
                          test_roots=conventions.test_roots)
    results = validator.validate_edits([p.edit for p in placed])
    checked = [replace(p, validation=result) for p, result in zip(placed, results, strict=True)]
    return rank_by_validation(checked, lambda p: p.validation)


def _place(repo: Path, conventions: TestConventions, path: Path, method: MethodInfo, text: str,
           open_texts: Mapping[Path, str]) -> TestEdit:
    edit = place_test(repo, conventions, path, method, text)
    if edit.path in open_texts and not edit.created:  # the editor's buffer of the test file wins
        edit = place_test(repo, conventions, path, method, text, existing_text=open_texts[edit.path])
    return edit
