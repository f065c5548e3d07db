"""Methods2Test mapping heuristics on names and calls (no file system, no parsing).

Test class → focal class by name: ``FooTest``, ``TestFoo``, ``FooTests``, ``FooIT``, ``FooTestCase`` → ``Foo``; where
no class has that name, the class the name starts with (``TestFoo_Basics``, ``FooParsingTest`` → ``Foo``).
Test method → focal method:

* ``name``: a name derived from the test name equals a focal method name (``testFoo``, ``foo_returnsX``,
  ``shouldFoo``, ``givenX_whenFoo_thenY`` → ``foo``), or starts with ``constructor``/``ctor`` and the test
  creates the focal class (``testConstructor_long`` → the constructor its ``new`` selects);
* ``name_prefix``: the longest focal method name that is a camelCase prefix of a derived name
  (``testFooWithNull`` → ``foo``), preferring names the test actually calls;
* ``unique_call``: the test calls exactly one distinct method of the focal class; a constructor only when it
  calls no focal method at all.

Overloads are told apart by argument count, then by the arguments' static types where known (a call whose
argument types are exactly one overload's parameter types selects it, as Java's own resolution would).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from customizer.java.methods import MethodInfo
from customizer.mining.calls import CallSite, exact_types, type_accepts

HEURISTICS = ("name", "name_prefix", "unique_call")

# Skip reasons, in the order the summary lists them.
SKIP_REASONS = (
    "no_focal_class",
    "ambiguous_focal_class",
    "no_match",
    "ambiguous_call",
    "ambiguous_overload",
    "focal_no_body",
    "focal_has_error",
    "test_has_error",
    "abstract_or_no_body",
    "duplicate",
)

# (kind, affix, pattern) in the order tried; the pattern is how conventions describe it.
CLASS_NAME_PATTERNS = (
    ("suffix", "TestCase", "{name}TestCase"),
    ("suffix", "Tests", "{name}Tests"),
    ("suffix", "Test", "{name}Test"),
    ("suffix", "IT", "{name}IT"),
    ("prefix", "Test", "Test{name}"),
)
_NAME_PREFIXES = ("test", "should", "when", "it")
_CONSTRUCTOR_WORDS = frozenset({"constructor", "constructors", "ctor"})
_MIN_PREFIX_LEN = 2
_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")
_NEW_EXPR = re.compile(r"^\(?\s*new\s+([\w.]+)")


def focal_class_candidates(test_class: str) -> list[tuple[str, str]]:
    """(focal class name, naming pattern) pairs a test class name suggests, most specific first."""
    found: list[tuple[str, str]] = []
    for kind, affix, pattern in CLASS_NAME_PATTERNS:
        if kind == "suffix" and test_class.endswith(affix) and len(test_class) > len(affix):
            name = test_class[: -len(affix)]
        elif kind == "prefix" and test_class.startswith(affix) and len(test_class) > len(affix):
            name = test_class[len(affix):]
            if not name[0].isupper():
                continue
        else:
            continue
        if name not in (n for n, _ in found):
            found.append((name, pattern))
    return found


_CAMEL_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]*[a-z0-9]+|[A-Z0-9]+")
_MIN_CLASS_PREFIX = 3


def partial_class_candidates(test_class: str) -> list[str]:
    """Focal class names for a test class named after a class *and an aspect of it*, tried when the whole-name
    patterns find no class: ``TestDateTime_Basics`` → ``DateTime``, ``IOUtilsCopyTestCase`` → ``IOUtils``,
    ``ReversedLinesFileReaderTestParamBlockSize`` → ``ReversedLinesFileReader``. Longest first: the part before
    ``_``, then ever shorter camelCase prefixes (at least 3 characters)."""
    whole = [name for name, _ in focal_class_candidates(test_class)]  # tried before, by the caller
    stems = list(whole)
    inner = test_class.find("Test", 1)
    if inner > 0 and test_class[:inner] not in stems:
        stems.append(test_class[:inner])
    found: list[str] = []
    for stem in stems:
        prefixes = [stem] if stem not in whole else []
        prefixes += [stem.split("_", 1)[0]] if "_" in stem else []
        words = _CAMEL_WORD.findall(stem.split("_", 1)[0])
        prefixes += ["".join(words[:k]) for k in range(len(words) - 1, 0, -1)]
        for prefix in prefixes:
            if len(prefix) >= _MIN_CLASS_PREFIX and prefix[0].isupper() and prefix not in found:
                found.append(prefix)
    return found


def naming_pattern(test_class: str, focal_class: str) -> str | None:
    """Which of ``CLASS_NAME_PATTERNS`` names ``test_class`` after ``focal_class``."""
    for name, pattern in focal_class_candidates(test_class):
        if name == focal_class:
            return pattern
    return None


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _strip_word(name: str, word: str) -> str | None:
    """``testFoo`` → ``Foo`` for ``word="test"``; None unless a camelCase/underscore boundary follows."""
    if not name.lower().startswith(word) or len(name) == len(word):
        return None
    rest = name[len(word):]
    if rest[0] == "_":
        rest = rest.lstrip("_")
        return rest or None
    return rest if rest[0].isupper() or rest[0].isdigit() else None


def name_candidates(test_name: str) -> list[str]:
    """Focal method names a test method name suggests, most direct first (first letter lower-cased)."""
    found: list[str] = []

    def add(name: str | None) -> None:
        if name:
            name = _lower_first(name.strip("_"))
            if name and name not in found:
                found.append(name)

    add(test_name)
    segments = [s for s in test_name.split("_") if s]
    # givenX_whenFoo_thenY: the `when` segment names the action
    for segment in segments[1:]:
        add(_strip_word(segment, "when"))
    stripped = test_name
    for _ in range(2):  # e.g. test_should_foo, testShouldFoo
        for word in _NAME_PREFIXES:
            rest = _strip_word(stripped, word)
            if rest is not None:
                stripped = rest
                break
    add(stripped)
    first = [s for s in stripped.split("_") if s]
    if first:
        add(first[0])
    # shouldFooWhenBar / givenXWhenFooThenY without underscores
    match = re.search(r"When([A-Z]\w*?)(?:Then|$)", test_name)
    if match and not test_name.startswith("given"):
        add(stripped.split("When", 1)[0])
    elif match:
        add(match.group(1))
    return found


def is_camel_prefix(prefix: str, name: str) -> bool:
    """``foo`` is a camelCase prefix of ``fooWithNull`` and ``foo_x`` and ``foo2``, not of ``food``."""
    if len(prefix) >= len(name) or not name.startswith(prefix):
        return False
    nxt = name[len(prefix)]
    return nxt.isupper() or nxt.isdigit() or nxt == "_"


@dataclass(frozen=True)
class Match:
    """A focal method for one test method, or the reason there is none."""

    method: MethodInfo | None
    heuristic: str | None = None
    reason: str | None = None


def accepts_argc(method: MethodInfo, argc: int) -> bool:
    n = len(method.parameter_types)
    if n and method.parameter_types[-1].endswith("..."):
        return argc >= n - 1
    return argc == n


def accepts_call(method: MethodInfo, call: CallSite) -> bool:
    """Arity and (where known) argument types fit the method's parameters."""
    if not accepts_argc(method, call.argc):
        return False
    params = method.parameter_types
    for i, arg in enumerate(call.arg_types):
        param = params[min(i, len(params) - 1)]
        if param.endswith("...") and not (i == len(params) - 1 and call.argc == len(params)):
            param = param[:-3]  # a varargs element
        if not type_accepts(param, arg):
            return False
    return True


def resolve_overload(overloads: Sequence[MethodInfo], calls: Iterable[CallSite]) -> MethodInfo | None:
    """The one overload the calls select (by arity, then argument types); None when several (or none) fit.

    A lone overload wins when it is not called at all (a name match without a call).
    """
    calls = list(calls)
    if len(overloads) == 1 and (not calls or any(accepts_argc(overloads[0], c.argc) for c in calls)):
        return overloads[0]
    by_arity = [m for m in overloads if any(accepts_argc(m, c.argc) for c in calls)]
    if len(by_arity) == 1:
        return by_arity[0]
    by_type = [m for m in by_arity if any(accepts_call(m, c) for c in calls)]
    if len(by_type) == 1:
        return by_type[0]
    # a call whose argument types are those of one overload exactly selects that one; the rest may select any
    # overload they fit: one method in all means the calls test it
    selected = {id(m): m for c in calls for m in _selectable(by_type, c)}
    if len(selected) == 1:
        return next(iter(selected.values()))
    fixed = [m for m in by_type if not m.parameter_types or not m.parameter_types[-1].endswith("...")]
    return fixed[0] if len(fixed) == 1 and len({c.argc for c in calls}) == 1 else None


def _selectable(overloads: Sequence[MethodInfo], call: CallSite) -> list[MethodInfo]:
    """The overloads ``call`` may select: the one its argument types match exactly, else every one it fits."""
    fitting = [m for m in overloads if accepts_call(m, call)]
    exact = [m for m in fitting if exact_types(m.parameter_types, call.arg_types)]
    return exact if len(exact) == 1 else fitting


def call_targets_focal(
    receiver: str | None, focal_class: str, var_types: dict[str, str], own_methods: set[str], name: str,
    *, known_only: bool = False,
) -> bool:
    """Could this call be a call on the focal class (rather than clearly on something else)? With ``known_only``,
    only a call whose receiver is known to be the focal class (or that has none) counts: for focal classes found
    by a prefix of the test class's name, where ``x.toString()`` on an object of unknown type is no evidence."""
    if receiver is None:
        return name not in own_methods  # own helper methods shadow statically imported focal methods
    receiver = receiver.strip()
    if receiver in ("this", "super"):
        return False
    new = _NEW_EXPR.match(receiver)
    if new:
        return new.group(1).rsplit(".", 1)[-1] == focal_class
    if _IDENT.match(receiver):
        if receiver[0].isupper() and receiver not in var_types:
            return receiver == focal_class  # a static call on a class
        declared = var_types.get(receiver)
        return declared == focal_class if known_only else declared is None or declared == focal_class
    qualified = receiver.rsplit(".", 1)
    if len(qualified) == 2 and _IDENT.match(qualified[1]) and qualified[1][0].isupper() and "(" not in receiver:
        return qualified[1] == focal_class  # a.b.Foo.bar()
    return not known_only  # a call chain or expression: its type is unknown


def match_by_name(test_name: str, methods: Sequence[MethodInfo], calls: Sequence[CallSite]) -> Match | None:
    """Apply the ``name`` then ``name_prefix`` heuristics; None when no name fits."""
    by_name: dict[str, list[MethodInfo]] = {}
    for method in methods:
        if not method.is_constructor:
            by_name.setdefault(method.name, []).append(method)
    lowered = {_lower_first(n): n for n in by_name}
    called = {call.name for call in calls}
    candidates = name_candidates(test_name)
    picked: tuple[str, str] | None = None
    for candidate in candidates:
        if candidate in lowered:
            picked = (lowered[candidate], "name")
            break
    if picked is None and any(_leading_word(c) in _CONSTRUCTOR_WORDS for c in candidates):
        constructor = match_constructor(methods, calls)
        if constructor is not None:
            return constructor
    if picked is None:
        best: tuple[bool, int, str] | None = None
        for candidate in candidates:
            for low, real in lowered.items():
                if len(low) >= _MIN_PREFIX_LEN and is_camel_prefix(low, candidate):
                    key = (real in called, len(low), real)
                    if best is None or key > best:
                        best = key
        if best is not None:
            picked = (best[2], "name_prefix")
    if picked is None:
        return None
    name, heuristic = picked
    method = resolve_overload(by_name[name], (c for c in calls if c.name == name))
    if method is None:
        return Match(None, reason="ambiguous_overload")
    return Match(method, heuristic=heuristic)


def _leading_word(name: str) -> str:
    found = re.match(r"[a-z]+", name)
    return found.group(0) if found else ""


def match_constructor(methods: Sequence[MethodInfo], calls: Sequence[CallSite]) -> Match | None:
    """A test named for the constructor (``testConstructor_long``, ``ctorRejectsNull``): the declared constructor
    its ``new`` expressions of the focal class select; None when it creates none (or the class declares none)."""
    constructors = [m for m in methods if m.is_constructor]
    news = [c for c in calls if constructors and c.name == f"<init>:{constructors[0].name}"]
    if not news:
        return None
    method = resolve_overload(constructors, news)
    return Match(method, heuristic="name") if method is not None else Match(None, reason="ambiguous_overload")


def match_by_unique_call(
    methods: Sequence[MethodInfo], calls: Sequence[CallSite], focal_class: str
) -> Match:
    """``calls`` must already be limited to those that may target the focal class."""
    by_name: dict[str, list[MethodInfo]] = {}
    constructors: list[MethodInfo] = []
    for method in methods:
        if method.is_constructor:
            constructors.append(method)
        else:
            by_name.setdefault(method.name, []).append(method)
    focal_calls = [c for c in calls if c.name in by_name]
    names = {c.name for c in focal_calls}
    if len(names) > 1:
        return Match(None, reason="ambiguous_call")
    if len(names) == 1:
        name = names.pop()
        method = resolve_overload(by_name[name], focal_calls)
        if method is None:
            return Match(None, reason="ambiguous_overload")
        return Match(method, heuristic="unique_call")
    news = [c for c in calls if c.name.startswith("<init>:") and c.name.rsplit(":", 1)[-1] == focal_class]
    if news and constructors:
        method = resolve_overload(constructors, news)
        if method is None:
            return Match(None, reason="ambiguous_overload")
        return Match(method, heuristic="unique_call")
    return Match(None, reason="no_match")
