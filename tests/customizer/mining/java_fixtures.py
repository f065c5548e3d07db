"""Tiny Java sources for the miner tests: one repository exercising every framework, heuristic and skip reason."""

from __future__ import annotations

CALCULATOR = """package org.calc;

public class Calculator {
    private int memory;

    public Calculator() { }
    public Calculator(int memory) { this.memory = memory; }

    public int add(int a, int b) { return a + b; }
    public int subtract(int a, int b) { return a - b; }
    public String format(int value) { return String.valueOf(value); }
    public String format(String pattern, int value) { return pattern + value; }
    public int parse(String text) { return Integer.parseInt(text); }
    public int parse(java.math.BigDecimal value) { return value.intValue(); }
    public int memory() { return memory; }
    public abstract static class Op { public abstract int apply(int x); }
}
"""

CALCULATOR_TEST_JUNIT5 = """package org.calc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.BeforeEach;

class CalculatorTest {
    private Calculator calc;
    private StringBuilder log = new StringBuilder();

    @BeforeEach
    void setUp() { calc = new Calculator(); }

    @Test
    void add_twoNumbers_returnsSum() { assertEquals(3, calc.add(1, 2)); }

    @Test
    void testSubtract() { assertEquals(1, calc.subtract(2, 1)); }

    @Test
    void testFormatWithPattern() { assertEquals("x1", calc.format("x", 1)); }

    @Test
    void shouldParseWhenDigits() { assertEquals(7, calc.parse("7")); }

    @Test
    void givenMemory_whenMemory_thenKept() { assertEquals(0, new Calculator().memory()); }

    @Test
    void sumsCorrectly() { log.append("x"); assertEquals(5, calc.add(2, 3)); }

    @Test
    void constructsWithMemory() { new Calculator(4); }

    @Test
    void mixesOperations() { assertEquals(0, calc.add(1, calc.subtract(1, 2)) + 0 * calc.memory()); }

    @Test
    void testParse() { calc.parse(input()); }

    private String input() { return "1"; }

    @Test
    void nothingHere() { assertEquals(1, 1); }

    @Test
    void broken() { int x = ; assertEquals(1, calc.add(1, 2)); }
}
"""

CALCULATOR_TEST_JUNIT5_DUPLICATE = """package org.calc;

import org.junit.jupiter.api.Test;

class CalculatorTests {
    private Calculator calc = new Calculator();

    @Test
    void testSubtract() { assertEquals(1, calc.subtract(2, 1)); }
}
"""

UNPARSABLE_TEST = """package org.calc;

import org.junit.Test;

public class CalculatorBadTest {
    @Test
    public void testAdd() { assertEquals(1, calc.add(1, ); }
}
"""

STACK = """package org.util;

public class Stack {
    public void push(Object o) { }
    public Object pop() { return null; }
    public boolean isEmpty() { return true; }
}
"""

STACK_TEST_JUNIT3 = """package org.util;

import junit.framework.TestCase;

public abstract class StackTest extends TestCase {
    public abstract void testSubclassHook();

    public void testPush() { new Stack().push("a"); }
    public void testIsEmptyInitially() { assertTrue(new Stack().isEmpty()); }
    public void testPopAfterPush() { Stack s = new Stack(); s.push(1); s.pop(); }
}
"""

QUEUE = """package org.util;

public abstract class Queue {
    public abstract void offer(Object o);
    public int size() { return 0; }
}
"""

QUEUE_TEST_JUNIT4 = """package org.util;

import org.junit.Test;
import static org.hamcrest.MatcherAssert.assertThat;

public class TestQueue {
    @Test
    public void testOffer() { }

    @Test
    public void testSize() { assertThat(0, org.hamcrest.Matchers.is(0)); }
}
"""

PARSER_TESTNG = """package org.text;

import org.testng.annotations.Test;
import static org.assertj.core.api.Assertions.assertThat;

@Test
public class ParserIT {
    public void testTokenize() { assertThat(new Parser().tokenize("a b")).hasSize(2); }
    public void testLength() { assertThat(new Parser().length("ab")).isEqualTo(2); }
}
"""

PARSER = """package org.text;

public class Parser {
    public String[] tokenize(String s) { return s.split(" "); }
    public int length(String s) { return s.length(); }
}
"""

ORPHAN_TEST = """package org.calc;

import org.junit.Test;

public class OrphanTest {
    @Test
    public void testAnything() { }
}
"""

WIDGET_A = """package org.a;

public class Widget { public void spin() { } }
"""

WIDGET_B = """package org.b;

public class Widget { public void spin() { } }
"""

WIDGET_TEST = """package org.c;

import org.junit.Test;

public class WidgetTest {
    @Test
    public void testSpin() { }
}
"""

BROKEN_FOCAL = """package org.calc;

public class Broken {
    public int value() { return 1 + ; }
}
"""

BROKEN_FOCAL_TEST = """package org.calc;

import org.junit.Test;

public class BrokenTest {
    @Test
    public void testValue() { new Broken().value(); }
}
"""

TEST_HELPER = """package org.calc;

public class Calculator2 {
    public int twice(int x) { return 2 * x; }
}
"""

MAIN_REPO: dict[str, str | bytes] = {
    "src/main/java/org/calc/Calculator.java": CALCULATOR,
    "src/test/java/org/calc/CalculatorTest.java": CALCULATOR_TEST_JUNIT5,
    "src/test/java/org/calc/CalculatorTests.java": CALCULATOR_TEST_JUNIT5_DUPLICATE,
    "src/main/java/org/util/Stack.java": STACK,
    "src/test/java/org/util/StackTest.java": STACK_TEST_JUNIT3,
    "src/main/java/org/util/Queue.java": QUEUE,
    "src/test/java/org/util/TestQueue.java": QUEUE_TEST_JUNIT4,
    "src/main/java/org/text/Parser.java": PARSER,
    "src/test/java/org/text/ParserIT.java": PARSER_TESTNG,
    "src/test/java/org/calc/OrphanTest.java": ORPHAN_TEST,
    "src/main/java/org/a/Widget.java": WIDGET_A,
    "src/main/java/org/b/Widget.java": WIDGET_B,
    "src/test/java/org/c/WidgetTest.java": WIDGET_TEST,
    "src/main/java/org/calc/Broken.java": BROKEN_FOCAL,
    "src/test/java/org/calc/BrokenTest.java": BROKEN_FOCAL_TEST,
    # a helper in the test root that looks like production code must not become a focal class
    "src/test/java/org/calc/Calculator2.java": TEST_HELPER,
}

MODULE_CORE = """package org.mod;

public class Engine {
    public int start() { return 1; }
}
"""

MODULE_CORE_TEST = """package org.mod;

import org.junit.jupiter.api.Test;

class EngineTest {
    @Test
    void start_returnsOne() { new Engine().start(); }
}
"""

MODULE_OTHER = """package org.mod;

public class Engine {
    public int start() { return 2; }
    public int stop() { return 0; }
}
"""

MULTI_MODULE_REPO: dict[str, str | bytes] = {
    "core/src/main/java/org/mod/Engine.java": MODULE_CORE,
    "core/src/test/java/org/mod/EngineTest.java": MODULE_CORE_TEST,
    "other/src/main/java/org/mod/Engine.java": MODULE_OTHER,
}
