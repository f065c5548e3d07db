"""Detect test classes, their test methods, framework (JUnit 3/4/5, TestNG) and assertion libraries."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from customizer.java.imports import imports
from customizer.java.methods import MethodInfo, annotation_names, list_methods, method_node
from customizer.java.parser import ParsedFile
from customizer.java.types import TypeInfo, list_types

__all__ = [
    "ASSERTION_LIBRARIES",
    "TestClassInfo",
    "TestFramework",
    "assertion_libraries",
    "detect_tests",
    "framework_for_test_annotation",
]


class TestFramework(StrEnum):
    __test__ = False  # not a pytest test class despite the name

    JUNIT3 = "junit3"
    JUNIT4 = "junit4"
    JUNIT5 = "junit5"
    TESTNG = "testng"


#: Every value ``assertion_libraries`` can return, in the order it returns them.
ASSERTION_LIBRARIES = ("junit", "hamcrest", "assertj", "truth", "testng")

_JUNIT5_ONLY = frozenset({"ParameterizedTest", "RepeatedTest", "TestFactory", "TestTemplate"})
_TEST_ANNOTATIONS = _JUNIT5_ONLY | {"Test"}
_SETUP_ANNOTATIONS = frozenset(
    {"Before", "BeforeEach", "BeforeClass", "BeforeAll", "BeforeMethod", "BeforeTest", "BeforeSuite",
     "BeforeGroups"}
)
_TESTNG_NOT_TESTS = frozenset(
    {"BeforeMethod", "AfterMethod", "BeforeClass", "AfterClass", "BeforeTest", "AfterTest", "BeforeSuite",
     "AfterSuite", "BeforeGroups", "AfterGroups", "DataProvider", "Factory"}
)
_TEST_CLASS_KINDS = frozenset({"class", "interface"})
_ASSERT_CALL = re.compile(r"\b(?:assert\w*|fail)\s*\(")


@dataclass
class TestClassInfo:
    """A class with at least one test method. ``assertion_libraries`` is a subset of
    ``ASSERTION_LIBRARIES``; ``uses_setup`` says whether it has a @Before/@BeforeEach/... or a JUnit 3
    ``setUp`` method."""

    __test__ = False

    type: TypeInfo
    framework: TestFramework
    test_methods: list[MethodInfo]
    assertion_libraries: tuple[str, ...]
    uses_setup: bool


def assertion_libraries(parsed: ParsedFile) -> tuple[str, ...]:
    """Assertion libraries the file imports, in ``ASSERTION_LIBRARIES`` order.

    ``junit``: org.junit.Assert, org.junit.jupiter.api.Assertions, junit.framework.Assert/TestCase
    (or the org.junit / jupiter api packages); ``hamcrest``: org.hamcrest; ``assertj``: org.assertj;
    ``truth``: com.google.common.truth; ``testng``: org.testng.Assert / AssertJUnit / asserts.
    """
    found: set[str] = set()
    for entry in imports(parsed):
        name = entry.removeprefix("static ")
        if name.startswith(("org.junit.Assert", "org.junit.jupiter.api.Assertions", "junit.framework.Assert",
                            "junit.framework.TestCase.")) or name in ("org.junit.*", "org.junit.jupiter.api.*"):
            found.add("junit")
        elif name.startswith("org.hamcrest"):
            found.add("hamcrest")
        elif name.startswith("org.assertj"):
            found.add("assertj")
        elif name.startswith("com.google.common.truth"):
            found.add("truth")
        elif name.startswith(("org.testng.Assert", "org.testng.asserts")):
            found.add("testng")
    return tuple(lib for lib in ASSERTION_LIBRARIES if lib in found)


def framework_for_test_annotation(parsed: ParsedFile) -> TestFramework:
    """Which framework a bare ``@Test`` in this file belongs to, judged by its imports.

    An explicit import of ``Test`` (or its package's ``*``) decides; otherwise any jupiter import means
    JUnit 5, any TestNG import TestNG, and anything else (including no imports) JUnit 4.
    """
    names = [entry.removeprefix("static ") for entry in imports(parsed)]
    explicit = {
        "org.testng.annotations.Test": TestFramework.TESTNG,
        "org.testng.annotations.*": TestFramework.TESTNG,
        "org.junit.jupiter.api.Test": TestFramework.JUNIT5,
        "org.junit.jupiter.api.*": TestFramework.JUNIT5,
        "org.junit.Test": TestFramework.JUNIT4,
        "org.junit.*": TestFramework.JUNIT4,
    }
    for name in names:
        if name in explicit:
            return explicit[name]
    if any(name.startswith("org.junit.jupiter") for name in names):
        return TestFramework.JUNIT5
    if any(name.startswith("org.testng") for name in names):
        return TestFramework.TESTNG
    return TestFramework.JUNIT4


def _qualified_framework(parsed: ParsedFile, method: MethodInfo) -> TestFramework | None:
    """Framework named by a fully qualified test annotation such as ``@org.junit.jupiter.api.Test``."""
    if "@org." not in method.text:
        return None
    node = method_node(parsed, method)
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    for name in annotation_names(parsed, modifiers):
        if name.startswith("org.junit.jupiter."):
            return TestFramework.JUNIT5
        if name.startswith("org.testng."):
            return TestFramework.TESTNG
        if name == "org.junit.Test":
            return TestFramework.JUNIT4
    return None


def _annotated_framework(parsed: ParsedFile, method: MethodInfo, default: TestFramework) -> TestFramework:
    qualified = _qualified_framework(parsed, method)
    if qualified is not None:
        return qualified
    if _JUNIT5_ONLY.intersection(method.annotations):
        return TestFramework.JUNIT5
    return default


def _is_junit3_class(type_info: TypeInfo) -> bool:
    if type_info.superclass is None:
        return False
    return type_info.superclass.split("<", 1)[0].rsplit(".", 1)[-1].endswith("TestCase")


def _is_junit3_test(method: MethodInfo) -> bool:
    return (
        method.name.startswith("test")
        and "public" in method.modifiers
        and "static" not in method.modifiers
        and method.return_type == "void"
        and not method.parameter_types
        and not method.is_constructor
    )


def detect_tests(parsed: ParsedFile) -> list[TestClassInfo]:
    """The test classes of the file (nested ones too, e.g. JUnit 5 ``@Nested``), in source order.

    JUnit 3: a class extending ``TestCase`` (or any name ending in ``TestCase``) with public void
    no-argument ``test*`` methods. ``@Test`` (and JUnit 5's ``@ParameterizedTest``, ``@RepeatedTest``,
    ``@TestFactory``, ``@TestTemplate``) marks a test; which framework a bare ``@Test`` means is judged
    by the imports (see ``framework_for_test_annotation``). A TestNG class-level ``@Test`` makes every public
    instance method a test, except configuration methods (``@BeforeMethod``, ``@DataProvider``, ...).
    ``@Disabled``/``@Ignore`` tests are included; their annotations are in ``MethodInfo.annotations``.
    """
    default = framework_for_test_annotation(parsed)
    libraries = assertion_libraries(parsed)
    by_class: dict[tuple[str, ...], list[MethodInfo]] = {}
    for method in list_methods(parsed):
        by_class.setdefault(method.class_path, []).append(method)
    found: list[TestClassInfo] = []
    for type_info in list_types(parsed):
        if type_info.kind not in _TEST_CLASS_KINDS:
            continue
        methods = by_class.get(type_info.class_path, [])
        votes: Counter[TestFramework] = Counter()
        tests: list[MethodInfo] = []
        for method in methods:
            if _TEST_ANNOTATIONS.intersection(method.annotations):
                tests.append(method)
                votes[_annotated_framework(parsed, method, default)] += 1
        class_level_testng = "Test" in type_info.annotations and default is TestFramework.TESTNG
        if class_level_testng:
            annotated = {m.start_byte for m in tests}
            for method in methods:
                if (
                    method.start_byte not in annotated
                    and "public" in method.modifiers
                    and "static" not in method.modifiers
                    and not method.is_constructor
                    and not _TESTNG_NOT_TESTS.intersection(method.annotations)
                ):
                    tests.append(method)
                    votes[TestFramework.TESTNG] += 1
        if not tests and _is_junit3_class(type_info):
            tests = [m for m in methods if _is_junit3_test(m)]
            votes[TestFramework.JUNIT3] += len(tests)
        if not tests:
            continue
        tests.sort(key=lambda m: m.start_byte)
        framework = votes.most_common(1)[0][0]
        class_libraries = libraries
        if framework is TestFramework.JUNIT3 and any(_ASSERT_CALL.search(m.text) for m in tests):
            class_libraries = tuple(
                lib for lib in ASSERTION_LIBRARIES if lib in libraries or lib == "junit"
            )
        uses_setup = any(
            _SETUP_ANNOTATIONS.intersection(m.annotations)
            or (framework is TestFramework.JUNIT3 and m.name == "setUp" and not m.parameter_types)
            for m in methods
        )
        found.append(TestClassInfo(type_info, framework, tests, class_libraries, uses_setup))
    return found
