"""list_methods / method_at / called_methods on every construct, broken code and big files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from customizer.java import (
    MethodInfo,
    called_methods,
    list_methods,
    method_at,
    method_on_line,
    parse_java,
    read_java_file,
)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def constructs() -> list[MethodInfo]:
    return list_methods(read_java_file(FIXTURES / "Constructs.java"))


def _one(methods: list[MethodInfo], name: str, class_name: str | None = None) -> MethodInfo:
    found = [m for m in methods if m.name == name and (class_name is None or m.class_name == class_name)]
    assert len(found) == 1, [(m.name, m.class_name) for m in found]
    return found[0]


def test_every_construct_is_listed_in_source_order(constructs: list[MethodInfo]) -> None:
    assert [(m.name, m.class_name) for m in constructs] == [
        ("Constructs", "Constructs"),
        ("compareTo", "Constructs"),
        ("max", "Constructs"),
        ("sum", "Constructs"),
        ("names", "Constructs"),
        ("task", "Constructs"),
        ("run", "Constructs$anon"),
        ("innerMethod", "Inner"),
        ("Deeper", "Deeper"),
        ("area", "Shape"),
        ("hex", "Color$anon"),
        ("hex", "Color"),
        ("Point", "Point"),
        ("Point", "Point"),
        ("manhattan", "Point"),
        ("greet", "Greeter"),
        ("greetAll", "Greeter"),
        ("polite", "Greeter"),
        ("value", "Marker"),
        ("ids", "Marker"),
    ]
    assert [m.start_byte for m in constructs] == sorted(m.start_byte for m in constructs)
    assert {m.package for m in constructs} == {"org.example.shapes"}


def test_generic_method(constructs: list[MethodInfo]) -> None:
    m = _one(constructs, "max")
    assert m.signature == (
        "public static <T extends Comparable<T>> T max(List<T> xs) throws IOException, IllegalStateException"
    )
    assert m.return_type == "T"
    assert m.parameter_types == ("List<T>",)
    assert m.parameter_names == ("xs",)
    assert m.modifiers == ("public", "static")
    assert m.has_body and not m.has_error and not m.is_constructor
    assert m.text.startswith("public static <T") and m.text.endswith("}")


def test_annotated_method_text_keeps_annotations_but_signature_drops_them(constructs: list[MethodInfo]) -> None:
    m = _one(constructs, "compareTo")
    assert m.annotations == ("Override", "SuppressWarnings")
    assert m.text.startswith("@Override")
    assert "Javadoc" not in m.text
    assert m.signature == "public int compareTo(Constructs<E> other)"
    assert (m.start_line, m.start_col) == (18, 4)
    assert (m.name_line, m.name_col) == (20, 15)
    assert m.end_line == 22 and m.end_col == 5


def test_varargs_arrays_and_annotated_parameters(constructs: list[MethodInfo]) -> None:
    total = _one(constructs, "sum")
    assert total.signature == "int sum(final int... values)"
    assert total.parameter_types == ("int...",)
    names = _one(constructs, "names")
    assert names.signature == "String[] names(String[] raw, int matrix[][])"
    assert names.parameter_types == ("String[]", "int[][]")
    assert names.parameter_names == ("raw", "matrix")
    assert names.return_type == "String[]"


def test_constructors_records_and_nested(constructs: list[MethodInfo]) -> None:
    ctor = _one(constructs, "Constructs")
    assert ctor.is_constructor and ctor.return_type is None
    assert ctor.signature == "public Constructs(int count)"
    compact, canonical_call = [m for m in constructs if m.name == "Point"]
    assert compact.is_constructor and compact.signature == "Point"
    assert compact.parameter_types == ("int", "int") and compact.parameter_names == ("x", "y")
    assert canonical_call.signature == "Point(int both)"
    deeper = _one(constructs, "Deeper")
    assert deeper.class_path == ("Constructs", "Inner", "Deeper")
    assert deeper.is_constructor


def test_anonymous_classes_and_enum_constant_bodies(constructs: list[MethodInfo]) -> None:
    run = _one(constructs, "run")
    assert run.class_path == ("Constructs", "Constructs$anon")
    assert run.annotations == ("Override",)
    constant_hex = _one(constructs, "hex", "Color$anon")
    assert constant_hex.class_path == ("Constructs", "Color", "Color$anon")


def test_interfaces_abstract_and_annotation_types(constructs: list[MethodInfo]) -> None:
    assert not _one(constructs, "greet").has_body
    assert _one(constructs, "greetAll").modifiers == ("default",)
    assert _one(constructs, "polite").modifiers == ("static",)
    assert _one(constructs, "area").signature == "abstract double area()"
    value = _one(constructs, "value")
    assert value.signature == "String value()" and not value.has_body
    assert _one(constructs, "ids").return_type == "int[]"


def test_method_at_returns_innermost() -> None:
    parsed = read_java_file(FIXTURES / "Constructs.java")
    lines = parsed.text.split("\n")
    run_line = next(i for i, line in enumerate(lines) if "public void run()" in line)
    task_line = next(i for i, line in enumerate(lines) if "Runnable task()" in line)
    inner = method_at(parsed, run_line + 1, 20)
    assert inner is not None and inner.name == "run"
    outer = method_at(parsed, task_line, 8)
    assert outer is not None and outer.name == "task"
    # On an annotation line of the method.
    annotated = method_at(parsed, 18, 6)
    assert annotated is not None and annotated.name == "compareTo"
    # Just past the closing brace still counts; the blank line after does not.
    assert method_at(parsed, 22, 5) == annotated
    assert method_at(parsed, 23, 0) is None
    # A field line is no method, nor is its trailing comment; a method's own javadoc line means the method.
    assert method_at(parsed, 10, 8) is None
    assert method_at(parsed, 11, 60) is None
    documented = method_at(parsed, 13, 8)
    assert documented is not None and documented.name == "Constructs" and documented.is_constructor


def test_doc_comments_mean_the_method_right_below_them() -> None:
    parsed = parse_java(
        "class A {\n"
        "    /**\n"
        "     * Adds.\n"
        "     */\n"
        "    // and a note\n"
        "    int add(int a, int b) { return a + b; }\n"
        "\n"
        "    /** Detached: a blank line follows. */\n"
        "\n"
        "    int sub(int a, int b) { return a - b; }\n"
        "    int f; // not a doc comment\n"
        "    int g() { return f; }\n"
        "}\n")
    for line in (1, 2, 3, 4):
        found = method_at(parsed, line, 6)
        assert found is not None and found.name == "add", line
    assert method_at(parsed, 7, 8) is None
    assert method_at(parsed, 10, 20) is None


def test_method_on_line_without_a_column() -> None:
    one_line = parse_java("class A { int f() { return 1; } int g() { return 2; } }\n")
    found = method_on_line(one_line, 0)
    assert found is not None and found.name == "f"
    parsed = parse_java("class A {\n    int f() {\n        return 1;\n    }\n\n}\n")
    assert [getattr(method_on_line(parsed, i), "name", None) for i in range(6)] == [None, "f", "f", "f", None, None]


def test_called_methods_in_order() -> None:
    parsed = read_java_file(FIXTURES / "Constructs.java")
    methods = list_methods(parsed)
    assert called_methods(parsed, _one(methods, "max")) == [
        ("compareTo", 1, "x"),
        ("requireNonNull", 1, None),
    ]
    assert called_methods(parsed, _one(methods, "run")) == [
        ("println", 1, "System.out"),
        ("toString", 0, 'new StringBuilder("x").append(count)'),
        ("append", 1, 'new StringBuilder("x")'),
        ("<init>:StringBuilder", 1, None),
    ]
    assert called_methods(parsed, _one(methods, "task"))[0] == ("<init>:Runnable", 0, None)
    assert called_methods(parsed, _one(methods, "greet")) == []
    generic = parse_java("class A { void m() { new java.util.ArrayList<String>(3); } }")
    assert called_methods(generic, list_methods(generic)[0]) == [("<init>:java.util.ArrayList", 1, None)]


def test_syntax_errors_are_recovered_and_flagged() -> None:
    code = (
        "package p;\n"
        "class Broken {\n"
        "  int fine(int a) { return a; }\n"
        "  void broken( { int x = ; }\n"
        "  void alsoFine() { fine(1); }\n"
        "}\n"
    )
    parsed = parse_java(code)
    assert parsed.has_error
    by_name = {m.name: m for m in list_methods(parsed)}
    assert set(by_name) == {"fine", "broken", "alsoFine"}
    assert by_name["broken"].has_error
    assert not by_name["fine"].has_error and not by_name["alsoFine"].has_error
    assert by_name["alsoFine"].class_name == "Broken"
    found = method_at(parsed, 3, 10)
    assert found is not None and found.name == "broken"


def test_unterminated_file_still_yields_methods() -> None:
    parsed = parse_java("class Half {\n  int a() { return 1; }\n  int b() { return ")
    names = [m.name for m in list_methods(parsed)]
    assert "a" in names


def test_broken_class_header_falls_back_to_file_name() -> None:
    code = "public clas Calc {\n  void a() { x(); }\n  int b() { return 1; }\n}\n"
    methods = list_methods(parse_java(code, path="src/main/java/Calc.java"))
    assert [(m.name, m.class_name) for m in methods] == [("a", "Calc"), ("b", "Calc")]
    assert methods[0].has_error
    assert [m.class_name for m in list_methods(parse_java(code))] == ["", ""]


def test_crlf_tabs_and_non_ascii_identifiers() -> None:
    code = "package ü.日本;\r\nclass Größe {\r\n\tint 計算(int ü) {\r\n\t\treturn ü * 2;\r\n\t}\r\n}\r\n"
    parsed = parse_java(code.encode())
    (method,) = list_methods(parsed)
    assert method.name == "計算"
    assert method.class_name == "Größe"
    assert method.package == "ü.日本"
    assert method.signature == "int 計算(int ü)"
    assert (method.start_line, method.start_col) == (2, 1)
    assert (method.name_line, method.name_col) == (2, 5)
    assert (method.end_line, method.end_col) == (4, 2)
    assert method.text == "int 計算(int ü) {\r\n\t\treturn ü * 2;\r\n\t}"
    assert method_at(parsed, 3, 3) == method


def test_whitespace_in_signature_is_normalized() -> None:
    code = "class A {\n  public\n  static   int\tf( int a ,\n   /* c */ int b ) { return a; }\n}\n"
    (method,) = list_methods(parse_java(code))
    assert method.signature == "public static int f(int a, int b)"


def _big_file(methods: int) -> str:
    body = "\n".join(
        f"  /** Doc {i}. */\n  @Deprecated\n  public int m{i}(int a, String b) {{\n    return helper(a) + {i};\n  }}"
        for i in range(methods)
    )
    return "package big;\npublic class Big {\n" + body + "\n}\n"


def test_ten_thousand_line_file_is_fast() -> None:
    code = _big_file(2000)
    assert code.count("\n") >= 10_000
    parsed = parse_java(code)
    start = time.perf_counter()
    methods = list_methods(parsed)
    elapsed = time.perf_counter() - start
    assert len(methods) == 2000
    assert methods[-1].signature == "public int m1999(int a, String b)"
    found = method_at(parsed, methods[1500].start_line + 3, 4)
    assert found is not None and found.name == "m1500"
    assert elapsed < 2.0  # generous: the shared CI box is slow; typically ~0.3 s
