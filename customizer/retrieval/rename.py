"""Adapt a retrieved test to the query method: rename what maps one-to-one between the two focal methods.

The retrieved test was written for focal method *R*; the user asks about focal method *Q*. Identifiers of *R*
that have a unique counterpart in *Q* are renamed in the test: the method name (also inside the camelCase words
and ``_`` segments of the test's own name, e.g. ``testAddItem`` → ``testRemoveItem``), the class name, and the
parameters by position when both have the same number. Nothing is renamed where the mapping is not one-to-one.

When *Q* returns another type than *R*, a local that holds the result of the call
(``BigDecimal rate = calculator.rateFor(…)`` adapted to ``isExempt``) is declared with *Q*'s type
(``boolean rate = calculator.isExempt(…)``): javac would reject the test as it was.
"""

from __future__ import annotations

import re
from functools import lru_cache

from customizer.java.methods import MethodInfo, list_methods
from customizer.java.parser import parse_java

_WRAPPER = "class __R__ {\n"
_TYPE_VARIABLE = re.compile(r"(?<![\w$.])[A-Z][0-9]?(?![\w$])")  # by convention: T, E, K, V, T2


def squeeze(text: str | None) -> str:
    """``text`` with all whitespace removed, so that type names compare as written (``Map<K, V>`` = ``Map<K,V>``)."""
    return re.sub(r"\s+", "", text or "")


@lru_cache(maxsize=4096)  # the same query and neighbours are parsed for every candidate; a server lives long
def parse_method(method_text: str) -> MethodInfo | None:
    """The first method declared in ``method_text`` (a method on its own), or None."""
    methods = list_methods(parse_java(_WRAPPER + method_text + "\n}\n"))
    return methods[0] if methods else None




def retype_results(test_body: str, method: str, old_type: str, new_type: str) -> str:
    """``test_body`` with each local declaration of ``old_type`` whose every variable is initialized straight from
    a call of ``method`` declared as ``new_type`` instead (types compared with whitespace removed); ``void`` and
    type variables are never written."""
    if new_type == "void" or squeeze(old_type) == squeeze(new_type) or _TYPE_VARIABLE.search(new_type):
        return test_body  # a type variable (`T`, `List<E>`) means nothing in the test
    parsed = parse_java(_WRAPPER + test_body + "\n}\n")
    edits: list[tuple[int, int]] = []
    stack = [parsed.root]
    while stack:
        node = stack.pop()
        stack.extend(node.named_children)
        if node.type != "local_variable_declaration":
            continue
        kind = node.child_by_field_name("type")
        values = [d.child_by_field_name("value") for d in node.children_by_field_name("declarator")]
        calls = [v.child_by_field_name("name") for v in values if v is not None and v.type == "method_invocation"]
        if (kind is not None and calls and len(calls) == len(values)
                and all(parsed.node_text(name) == method for name in calls if name is not None)
                and squeeze(parsed.node_text(kind)) == squeeze(old_type)):
            edits.append((kind.start_byte, kind.end_byte))
    source = parsed.source
    for start, end in sorted(edits, reverse=True):
        source = source[:start] + new_type.encode() + source[end:]
    return source.decode("utf-8", errors="surrogatepass")[len(_WRAPPER):-len("\n}\n")]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def identifier_mapping(retrieved_focal: str, query_focal: str, retrieved_class: str = "",
                       query_class: str = "") -> dict[str, str]:
    """Old name → new name for identifiers that map one-to-one (see module docstring)."""
    return _mapping(parse_method(retrieved_focal), parse_method(query_focal), retrieved_class, query_class)


def _mapping(r: MethodInfo | None, q: MethodInfo | None, retrieved_class: str, query_class: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    if r and q:
        if r.name != q.name:
            mapping[r.name] = q.name
        if len(r.parameter_names) == len(q.parameter_names):
            mapping.update({a: b for a, b in zip(r.parameter_names, q.parameter_names, strict=True) if a != b})
    if retrieved_class and query_class and retrieved_class != query_class:
        mapping[retrieved_class] = query_class
    targets = list(mapping.values())
    # one-to-one only: two old names mapping to one new name are both dropped
    return {a: b for a, b in mapping.items() if targets.count(b) == 1 and b not in mapping}


_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def adapt_test(test_body: str, retrieved_focal: str, query_focal: str, retrieved_class: str = "",
               query_class: str = "") -> str:
    """The retrieved test with the one-to-one identifier mapping applied, in one pass over its identifiers.

    An identifier equal to a mapped name is replaced. In the test's own name, also each ``_``-separated segment
    equal to a mapped name (``exempt_category_makesRateZero``) and a capitalized mapped name inside a camelCase word
    (``testAddItem`` → ``testRemoveItem``); other identifiers name things that exist (``aDiscountCode()``,
    ``DiscountCode``), and renaming inside them would name things that do not. One pass, so a replacement is never
    renamed again.
    """
    test, r, q = parse_method(test_body), parse_method(retrieved_focal), parse_method(query_focal)
    renamed = _renamed(test_body, _mapping(r, q, retrieved_class, query_class), test.name if test else None)
    if r is None or q is None or not r.return_type or not q.return_type:
        return renamed
    return retype_results(renamed, q.name, r.return_type, q.return_type)


def _renamed(test_body: str, mapping: dict[str, str], test_name: str | None) -> str:
    if not mapping:
        return test_body
    names = sorted(mapping, key=len, reverse=True)
    caps = {_cap(a): _cap(b) for a, b in mapping.items()}
    targets = set(mapping.values())
    inner = re.compile(r"(?<=[a-z0-9])(" + "|".join(re.escape(_cap(n)) for n in names) + r")(?![a-z])")

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in mapping:
            return mapping[word]
        if word in targets or word != test_name:  # already the query's name, or a name of something that exists
            return word
        segments = word.split("_")
        return "_".join(mapping.get(seg) or inner.sub(lambda m: caps[m.group(1)], seg) for seg in segments)

    return _IDENTIFIER.sub(rename, test_body)
