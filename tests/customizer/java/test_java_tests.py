"""detect_tests for JUnit 3/4/5 and TestNG, and assertion_libraries."""

from __future__ import annotations

from customizer.java import (
    TestClassInfo,
    TestFramework,
    assertion_libraries,
    detect_tests,
    framework_for_test_annotation,
    parse_java,
)

JUNIT3 = """package p;
import junit.framework.TestCase;
public class CalcTest extends TestCase {
    protected void setUp() { }
    public void testAdd() { assertEquals(2, 1 + 1); }
    public void testSub() { fail("x"); }
    public void testWithArg(int a) { }
    private void testPrivate() { }
    public void helper() { }
    public static void testStatic() { }
}
"""

JUNIT4 = """package p;
import org.junit.Before;
import org.junit.Ignore;
import org.junit.Test;
import static org.junit.Assert.assertEquals;
import static org.hamcrest.MatcherAssert.assertThat;
public class CalcTest {
    @Before public void init() { }
    @Test public void adds() { assertEquals(2, 1 + 1); }
    @Ignore @Test(expected = ArithmeticException.class) public void divides() { }
    public void notATest() { }
}
"""

JUNIT5 = """package p;
import org.junit.jupiter.api.*;
import org.junit.jupiter.params.ParameterizedTest;
import static org.assertj.core.api.Assertions.assertThat;
class CalcTest {
    @BeforeEach void init() { }
    @Test @DisplayName("adds") void adds() { assertThat(1 + 1).isEqualTo(2); }
    @Disabled @ParameterizedTest @ValueSource(ints = {1, 2}) void param(int x) { }
    @RepeatedTest(3) void repeated() { }
    @TestFactory Stream<DynamicTest> factory() { return Stream.empty(); }
    @Nested class Inner {
        @Test void nested() { }
    }
}
"""

TESTNG_METHODS = """package p;
import org.testng.annotations.BeforeMethod;
import org.testng.annotations.Test;
import static org.testng.Assert.assertEquals;
public class CalcTest {
    @BeforeMethod public void init() { }
    @Test(groups = "fast") public void adds() { assertEquals(2, 1 + 1); }
    public void helper() { }
}
"""

TESTNG_CLASS = """package p;
import org.testng.annotations.*;
import com.google.common.truth.Truth;
@Test
public class CalcTest {
    @DataProvider public Object[][] data() { return null; }
    @BeforeClass public void setUpClass() { }
    public void adds() { Truth.assertThat(2).isEqualTo(2); }
    public void subtracts() { }
    private void notPublic() { }
    public static void notInstance() { }
}
"""


def _only(code: str) -> TestClassInfo:
    (info,) = detect_tests(parse_java(code))
    return info


def test_junit3() -> None:
    info = _only(JUNIT3)
    assert info.framework is TestFramework.JUNIT3
    assert [m.name for m in info.test_methods] == ["testAdd", "testSub"]
    assert info.uses_setup
    assert info.assertion_libraries == ("junit",)  # inherited TestCase asserts
    assert info.type.name == "CalcTest"


def test_junit3_by_abstract_base_name_ending_in_testcase() -> None:
    info = _only("class FooTest extends AbstractDbTestCase { public void testX() { } }")
    assert info.framework is TestFramework.JUNIT3
    assert not info.uses_setup


def test_junit4() -> None:
    info = _only(JUNIT4)
    assert info.framework is TestFramework.JUNIT4
    assert [m.name for m in info.test_methods] == ["adds", "divides"]
    assert info.test_methods[1].annotations == ("Ignore", "Test")
    assert info.uses_setup
    assert info.assertion_libraries == ("junit", "hamcrest")


def test_junit5_with_nested_class() -> None:
    outer, inner = detect_tests(parse_java(JUNIT5))
    assert outer.framework is TestFramework.JUNIT5
    assert [m.name for m in outer.test_methods] == ["adds", "param", "repeated", "factory"]
    assert "Disabled" in outer.test_methods[1].annotations
    assert outer.uses_setup
    assert outer.assertion_libraries == ("junit", "assertj")
    assert inner.type.class_path == ("CalcTest", "Inner")
    assert inner.framework is TestFramework.JUNIT5
    assert [m.name for m in inner.test_methods] == ["nested"]
    assert not inner.uses_setup


def test_testng_method_annotations() -> None:
    info = _only(TESTNG_METHODS)
    assert info.framework is TestFramework.TESTNG
    assert [m.name for m in info.test_methods] == ["adds"]
    assert info.uses_setup
    assert info.assertion_libraries == ("testng",)


def test_testng_class_level_test_makes_public_methods_tests() -> None:
    info = _only(TESTNG_CLASS)
    assert info.framework is TestFramework.TESTNG
    assert [m.name for m in info.test_methods] == ["adds", "subtracts"]
    assert info.uses_setup
    assert info.assertion_libraries == ("truth",)


def test_bare_test_annotation_is_disambiguated_by_imports() -> None:
    assert framework_for_test_annotation(parse_java("class A {}")) is TestFramework.JUNIT4
    jupiter_elsewhere = parse_java("import org.junit.jupiter.api.Assertions;\nclass A { @Test void t() {} }")
    assert framework_for_test_annotation(jupiter_elsewhere) is TestFramework.JUNIT5
    assert _only("import org.testng.Assert;\nclass A { @Test public void t() {} }").framework is (
        TestFramework.TESTNG
    )
    assert _only("class A { @Test public void t() {} }").framework is TestFramework.JUNIT4


def test_fully_qualified_annotations() -> None:
    assert _only("class A { @org.junit.jupiter.api.Test void t() {} }").framework is TestFramework.JUNIT5
    assert _only("class A { @org.testng.annotations.Test public void t() {} }").framework is (
        TestFramework.TESTNG
    )
    assert _only("import org.junit.jupiter.api.*;\nclass A { @org.junit.Test public void t() {} }").framework is (
        TestFramework.JUNIT4
    )


def test_non_test_files_have_no_test_classes() -> None:
    assert detect_tests(parse_java("class Calc { public int testy() { return 1; } }")) == []
    assert detect_tests(parse_java("enum E { A; @Test void t() {} }")) == []


def test_assertion_libraries_from_imports() -> None:
    code = (
        "import static org.junit.jupiter.api.Assertions.*;\n"
        "import com.google.common.truth.Truth;\n"
        "import org.assertj.core.api.Assertions;\n"
        "import org.hamcrest.Matchers;\n"
        "import org.testng.asserts.SoftAssert;\n"
        "class A {}\n"
    )
    assert assertion_libraries(parse_java(code)) == ("junit", "hamcrest", "assertj", "truth", "testng")
    assert assertion_libraries(parse_java("import java.util.List;\nclass A {}")) == ()
    assert assertion_libraries(parse_java("import junit.framework.Assert;\nclass A {}")) == ("junit",)
