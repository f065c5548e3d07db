"""list_types, package_name and imports."""

from __future__ import annotations

from pathlib import Path

from customizer.java import imports, list_types, package_name, parse_java, read_java_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_types_of_every_kind() -> None:
    types = {t.name: t for t in list_types(read_java_file(FIXTURES / "Constructs.java"))}
    assert list(types) == ["Constructs", "Inner", "Deeper", "Shape", "Color", "Point", "Greeter", "Marker"]
    top = types["Constructs"]
    assert top.kind == "class"
    assert top.superclass == "Base<E>"
    assert top.interfaces == ("Comparable<Constructs<E>>", "java.io.Serializable")
    assert top.annotations == ("SuppressWarnings",)
    assert top.fields == ("private final int count;", 'protected static String label = "a  b";')
    assert top.package == "org.example.shapes"
    assert top.qualified_name == "org.example.shapes.Constructs"
    assert top.start_line == 7 and top.end_line == 95
    assert types["Deeper"].class_path == ("Constructs", "Inner", "Deeper")
    assert [types[n].kind for n in ("Color", "Point", "Greeter", "Marker")] == [
        "enum",
        "record",
        "interface",
        "annotation",
    ]
    assert types["Point"].fields == ("private final int x;", "private final int y;")


def test_enum_interface_fields_and_extends() -> None:
    code = (
        "interface K extends L, M<N> { int CONST = 1; }\n"
        "enum E implements Z { A, B; private final int w = 2; }\n"
        "class T extends junit.framework.TestCase { @Inject /* x */ Foo foo; }\n"
    )
    k, e, t = list_types(parse_java(code))
    assert k.interfaces == ("L", "M<N>") and k.fields == ("int CONST = 1;",)
    assert e.interfaces == ("Z",) and e.fields == ("private final int w = 2;",)
    assert t.superclass == "junit.framework.TestCase" and t.fields == ("Foo foo;",)
    assert t.package == ""


def test_package_and_imports() -> None:
    code = (
        "package  org . example;\n"
        "import static org.junit.Assert.*;\n"
        "import java.util.List; // why\n"
        "import static org.hamcrest.Matchers.is;\n"
        "class A {}\n"
    )
    parsed = parse_java(code)
    assert package_name(parsed) == "org.example"
    assert imports(parsed) == ["static org.junit.Assert.*", "java.util.List", "static org.hamcrest.Matchers.is"]
    assert package_name(parse_java("class A {}")) == ""
    assert imports(parse_java("class A {}")) == []
