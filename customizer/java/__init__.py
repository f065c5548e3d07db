"""Java source analysis with tree-sitter: parsing, methods, types, focal context and test detection.

Positions are 0-based lines and 0-based code point columns; ``positions`` converts LSP UTF-16 columns.
"""

from customizer.java.context import (
    ContextLevel,
    FocalContext,
    UnknownContextLevelError,
    focal_context,
    normalize_whitespace,
    parse_context_level,
    render_input,
)
from customizer.java.imports import imports, package_name
from customizer.java.methods import MethodInfo, called_methods, list_methods, method_at, method_on_line
from customizer.java.parser import ParsedFile, PositionOutOfRangeError, parse_java, read_java_file
from customizer.java.positions import (
    byte_to_point,
    codepoint_to_utf16,
    point_to_utf16,
    utf16_to_codepoint,
    utf16_to_point,
)
from customizer.java.tests import (
    ASSERTION_LIBRARIES,
    TestClassInfo,
    TestFramework,
    assertion_libraries,
    detect_tests,
    framework_for_test_annotation,
)
from customizer.java.types import TypeInfo, list_types

__all__ = [
    "ASSERTION_LIBRARIES",
    "ContextLevel",
    "FocalContext",
    "MethodInfo",
    "ParsedFile",
    "PositionOutOfRangeError",
    "TestClassInfo",
    "TestFramework",
    "TypeInfo",
    "UnknownContextLevelError",
    "assertion_libraries",
    "byte_to_point",
    "called_methods",
    "codepoint_to_utf16",
    "detect_tests",
    "focal_context",
    "framework_for_test_annotation",
    "imports",
    "list_methods",
    "list_types",
    "method_at",
    "method_on_line",
    "normalize_whitespace",
    "package_name",
    "parse_context_level",
    "parse_java",
    "point_to_utf16",
    "read_java_file",
    "render_input",
    "utf16_to_codepoint",
    "utf16_to_point",
]
