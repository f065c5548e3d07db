"""Adapt a retrieved test to the query method: rename what maps one-to-one between the two focal methods.

The retrieved test was written for focal method *R*; the user asks about focal method *Q*. Identifiers of *R*
that have a unique counterpart in *Q* are renamed in the test: the method name (also inside camelCase words of
the test, e.g. ``testAddItem`` → ``testRemoveItem``), the class name, and the parameters by position when both
have the same number. Nothing is renamed where the mapping is not one-to-one.
"""

from __future__ import annotations

import re

from customizer.java.methods import list_methods
from customizer.java.parser import parse_java


def _signature_parts(method_text: str) -> tuple[str, list[str]] | None:
    methods = list_methods(parse_java("class __R__ {\n" + method_text + "\n}\n"))
    if not methods:
        return None
    m = methods[0]
    return m.name, list(m.parameter_names)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def identifier_mapping(retrieved_focal: str, query_focal: str, retrieved_class: str = "",
                       query_class: str = "") -> dict[str, str]:
    """Old name → new name for identifiers that map one-to-one (see module docstring)."""
    r, q = _signature_parts(retrieved_focal), _signature_parts(query_focal)
    mapping: dict[str, str] = {}
    if r and q:
        if r[0] != q[0]:
            mapping[r[0]] = q[0]
        if len(r[1]) == len(q[1]):
            mapping.update({a: b for a, b in zip(r[1], q[1], strict=True) if a != b})
    if retrieved_class and query_class and retrieved_class != query_class:
        mapping[retrieved_class] = query_class
    targets = list(mapping.values())
    # one-to-one only: two old names mapping to one new name are both dropped
    return {a: b for a, b in mapping.items() if targets.count(b) == 1 and b not in mapping}


_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def adapt_test(test_body: str, retrieved_focal: str, query_focal: str, retrieved_class: str = "",
               query_class: str = "") -> str:
    """The retrieved test with the one-to-one identifier mapping applied, in one pass over its identifiers.

    An identifier equal to a mapped name is replaced; otherwise each ``_``-separated segment equal to a mapped
    name is (``exempt_category_makesRateZero``), and a capitalized mapped name inside a camelCase word is
    (``testAddItem`` → ``testRemoveItem``). One pass, so a replacement is never renamed again.
    """
    mapping = identifier_mapping(retrieved_focal, query_focal, retrieved_class, query_class)
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
        if word in targets:  # already the query's name (e.g. a sibling method the test also calls)
            return word
        segments = word.split("_")
        return "_".join(mapping.get(seg) or inner.sub(lambda m: caps[m.group(1)], seg) for seg in segments)

    return _IDENTIFIER.sub(rename, test_body)
