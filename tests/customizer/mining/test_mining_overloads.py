"""Overloads of equal arity told apart by the static types of a test's arguments (customizer/mining/calls.py)."""

from __future__ import annotations

import pytest
from gitrepos import MakeRepo

from customizer.mining.calls import exact_types, simple_type, type_accepts
from customizer.mining.miner import mine_repository

COPIER = """package org.io;

import java.io.*;

public final class Copier {
    public static void copy(byte[] input, OutputStream output) throws IOException { output.write(input); }
    public static void copy(byte[] input, Writer output) throws IOException { output.write(new String(input)); }
    public static void copy(InputStream input, OutputStream output) throws IOException { input.transferTo(output); }
    public static void copy(Reader input, Writer output) throws IOException { input.transferTo(output); }
    public static void copy(String input, Writer output) throws IOException { output.write(input); }
}
"""

COPIER_TEST = """package org.io;

import java.io.*;
import org.junit.jupiter.api.Test;

class CopierTest {
    private final byte[] data = {1, 2, 3};

    @Test
    void copy_bytesToStream() throws Exception {
        final OutputStream out = new ByteArrayOutputStream();
        Copier.copy(data, out);
    }

    @Test
    void copy_bytesToWriter() throws Exception {
        Writer writer = new StringWriter();
        Copier.copy(data, writer);
    }

    @Test
    void copy_readerToWriter() throws Exception {
        Reader reader = new StringReader("abc");
        Writer writer = new StringWriter();
        Copier.copy(reader, writer);
    }

    @Test
    void copy_bytesToSubtype() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Copier.copy(data, out);
    }

    @Test
    void copy_unknownArgument() throws Exception {
        Copier.copy(data, stream());
    }

    @Test
    void copy_twoOverloads() throws Exception {
        OutputStream out = new ByteArrayOutputStream();
        Writer writer = new StringWriter();
        Copier.copy(data, out);
        Copier.copy(data, writer);
    }

    private OutputStream stream() { return new ByteArrayOutputStream(); }
}
"""


@pytest.mark.parametrize(("written", "simple"), [
    ("java.util.List<String[]>[]", "List[]"),
    ("byte []", "byte[]"),
    ("Map<String, List<Integer>>", "Map"),
    ("java.io.OutputStream", "OutputStream"),
    ("T...", "T..."),
])
def test_simple_type(written: str, simple: str) -> None:
    assert simple_type(written) == simple


def test_an_array_is_passed_only_where_an_array_fits() -> None:
    assert type_accepts("byte[]", "byte[]")
    assert not type_accepts("InputStream", "byte[]")
    assert not type_accepts("String", "byte[]")
    assert type_accepts("Object", "byte[]")
    assert type_accepts("T", "byte[]")  # a type variable takes anything
    assert type_accepts("OutputStream", "ByteArrayOutputStream")  # a possible subtype: unknown, so it may fit


def test_exact_types_need_every_argument_known_and_equal() -> None:
    assert exact_types(("byte[]", "java.io.OutputStream"), ("byte[]", "OutputStream"))
    assert not exact_types(("byte[]", "OutputStream"), ("byte[]", None))
    assert not exact_types(("byte[]", "OutputStream"), ("byte[]", "ByteArrayOutputStream"))
    assert not exact_types(("String", "Object"), ("String", "null"))
    assert not exact_types(("String...",), ("String",))  # varargs are applied only in Java's last phase


def test_overloads_selected_by_exact_argument_types(make_repo: MakeRepo) -> None:
    result = mine_repository(make_repo({"src/main/java/org/io/Copier.java": COPIER,
                                        "src/test/java/org/io/CopierTest.java": COPIER_TEST}))
    mapping = {p.test.method: p.focal.signature.removesuffix(" throws IOException") for p in result.pairs}
    assert mapping["copy_bytesToStream"] == "public static void copy(byte[] input, OutputStream output)"
    assert mapping["copy_bytesToWriter"] == "public static void copy(byte[] input, Writer output)"
    # Reader → Writer is exact; String → Writer would not take a Reader, and neither would the byte[] ones
    assert mapping["copy_readerToWriter"] == "public static void copy(Reader input, Writer output)"
    # not decidable without the class hierarchy, or with an argument of unknown type, or two overloads called
    skipped = {"copy_bytesToSubtype", "copy_unknownArgument", "copy_twoOverloads"}
    assert skipped.isdisjoint(mapping)
    assert result.summary.skipped["ambiguous_overload"] == len(skipped)


SPAN = """package org.io;

public final class Span {
    private final long length;
    public Span(long length) { this.length = length; }
    public Span(Object length) { this(Long.parseLong(String.valueOf(length))); }
    public Span(int from, int to) { this(to - from); }
    public static Span of(int length) { return new Span(length); }
    public long length() { return length; }
}
"""

SPAN_TEST = """package org.io;

import org.junit.Test;
import static org.junit.Assert.assertEquals;

public class SpanTest {
    private static final long TEN = 10L;

    @Test public void testConstructor_long() { assertEquals(10, new Span(TEN).length()); }
    @Test public void testConstructor_Object() { assertEquals(3, new Span((Object) "3").length()); }
    @Test public void ctorFromTo() { Span span = new Span(1, 4); assertEquals(3, span.length()); }
    @Test public void testConstructors() { new Span(1, 4); new Span(TEN); }
    @Test public void testConstructorOfFactory() { assertEquals(2, Span.of(2).length()); }
}
"""


def test_tests_named_for_the_constructor(make_repo: MakeRepo) -> None:
    result = mine_repository(make_repo({"src/main/java/org/io/Span.java": SPAN,
                                        "src/test/java/org/io/SpanTest.java": SPAN_TEST}))
    mapping = {p.test.method: (p.heuristic, p.focal.signature) for p in result.pairs}
    assert mapping == {
        # the test also calls length(): by calls alone it would be ambiguous, its name says the constructor
        "testConstructor_long": ("name", "public Span(long length)"),
        "testConstructor_Object": ("name", "public Span(Object length)"),
        "ctorFromTo": ("name", "public Span(int from, int to)"),
        # creates none: the constructor is not what it tests; it calls of() and length(), so no unique call either
    }
    assert result.summary.skipped == {"ambiguous_overload": 1, "ambiguous_call": 1}


def test_argument_types_of_expressions() -> None:
    from customizer.java.methods import list_methods
    from customizer.java.parser import parse_java
    from customizer.mining.calls import call_sites, declared_types

    parsed = parse_java("""class A {
        private long count;
        void t(Object o, int n, Integer boxed) {
            g(-1, !o.equals(o), "a" + n, n + 2L, 1.0f * n, new byte[3], new String[][] {}, this.count, A.class,
              n << 3L, o instanceof A, (byte[]) null, 'c' + 1, n == 2, -n, (short) 1 + (short) 2, o.hashCode(),
              n + o.hashCode(), boxed * 2.0);
        }
    }""")
    method = next(m for m in list_methods(parsed) if m.name == "t")
    types = declared_types(parsed, parsed.tree.root_node)
    [site] = [c for c in call_sites(parsed, method, types) if c.name == "g"]
    assert site.arg_types == (
        "int", "boolean", "String", "long", "float", "byte[]", "String[][]", "long", "Class",
        "int", "boolean", "byte[]", "int", "boolean", "int", "int", None,
        None, "double",  # a method's result is unknown (and so is arithmetic on it)
    )
