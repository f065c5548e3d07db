"""Focal context extraction and model-input rendering at every context level."""

from __future__ import annotations

import pytest

from customizer.errors import TestTailorError
from customizer.java import (
    ContextLevel,
    FocalContext,
    MethodInfo,
    ParsedFile,
    UnknownContextLevelError,
    focal_context,
    list_methods,
    normalize_whitespace,
    parse_context_level,
    parse_java,
    render_input,
)

CODE = """package p;
public class Foo {
    private int a;
    @Inject private final String name = "x";

    public Foo(int a) {
        this.a = a;
    }

    /** The focal method. */
    public int bar(int x) {
        return a +   x;
    }

    public int baz() { return a; }

    static class Nested {
        void hidden() {}
    }

    Runnable r() {
        return new Runnable() { public void run() {} };
    }
}
"""


def _method(name: str) -> tuple[ParsedFile, MethodInfo]:
    parsed = parse_java(CODE)
    return parsed, next(m for m in list_methods(parsed) if m.name == name)


def test_focal_context_of_class_member() -> None:
    parsed, bar = _method("bar")
    ctx = focal_context(parsed, bar)
    assert ctx == FocalContext(
        class_name="Foo",
        constructors=["public Foo(int a)"],
        methods=["public int baz()", "Runnable r()"],
        fields=["private int a;", 'private final String name = "x";'],
    )
    assert FocalContext.from_dict(ctx.to_dict()) == ctx
    assert set(ctx.to_dict()) == {"class_name", "constructors", "methods", "fields"}


def test_focal_context_of_nested_and_anonymous_classes() -> None:
    parsed, hidden = _method("hidden")
    assert focal_context(parsed, hidden) == FocalContext("Nested", [], [], [])
    parsed, run = _method("run")
    assert focal_context(parsed, run) == FocalContext("Foo$anon", [], [], [])


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("fm", ""),
        ("fm+fc", "class Foo { }"),
        ("fm+fc+c", "class Foo { public Foo(int a) ; }"),
        ("fm+fc+c+m", "class Foo { public Foo(int a) ; public int baz() ; Runnable r() ; }"),
        (
            "fm+fc+c+m+f",
            'class Foo { public Foo(int a) ; public int baz() ; Runnable r() ; private int a; '
            'private final String name = "x"; }',
        ),
    ],
)
def test_render_input_levels(level: str, expected: str) -> None:
    parsed, bar = _method("bar")
    ctx = focal_context(parsed, bar)
    focal, context = render_input(bar.text, ctx, level)
    assert focal == "public int bar(int x) { return a + x; }"
    assert context == expected
    assert render_input(bar.text, ctx.to_dict(), ContextLevel(level)) == (focal, context)


def test_render_input_default_is_full_and_adds_missing_semicolons() -> None:
    ctx = {"class_name": "Foo", "constructors": [], "methods": ["int  baz()"], "fields": ["int a"]}
    assert render_input("int f() {}", ctx) == ("int f() {}", "class Foo { int baz() ; int a; }")


def test_context_level_parsing() -> None:
    assert parse_context_level("FM + FC") is ContextLevel.FM_FC
    assert parse_context_level("full") is ContextLevel.FULL
    assert parse_context_level(ContextLevel.FM) is ContextLevel.FM
    with pytest.raises(UnknownContextLevelError, match="use one of fm, fm"):
        render_input("int f() {}", FocalContext("Foo"), "everything")
    assert issubclass(UnknownContextLevelError, TestTailorError)


def test_normalize_whitespace_keeps_literals_and_line_comments_terminated() -> None:
    code = 'int f() {\n\t// sum  it\n  return  g("a  b", \'\\t\');\n  /* x\n y */ }'
    assert normalize_whitespace(code) == 'int f() { // sum  it\nreturn g("a  b", \'\\t\'); /* x y */ }'
    text_block = 'String s = """\n  a   b\n  """;'
    assert normalize_whitespace(text_block) == text_block
