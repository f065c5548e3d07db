from __future__ import annotations

from typing import Any

from customizer.corpus.dedup import dedup_pairs, jaccard, shingles
from customizer.corpus.methods import is_test_path, keep_method

TEST = """@Test
public void testAdd() {
    Calculator c = new Calculator();
    assertEquals(3, c.add(1, 2));
    assertEquals(0, c.add(0, 0));
    assertEquals(-1, c.add(1, -2));
    assertEquals(10, c.add(5, 5));
    assertEquals(7, c.add(3, 4));
    assertEquals(100, c.add(50, 50));
    assertEquals(9, c.add(4, 5));
    assertEquals(11, c.add(5, 6));
    assertEquals(13, c.add(6, 7));
    assertEquals(15, c.add(7, 8));
    assertEquals(17, c.add(8, 9));
    assertEquals(19, c.add(9, 10));
    assertEquals(21, c.add(10, 11));
    assertEquals(23, c.add(11, 12));
    assertEquals(25, c.add(12, 13));
    assertEquals(27, c.add(13, 14));
    assertEquals(29, c.add(14, 15));
    assertEquals(31, c.add(15, 16));
    assertEquals(33, c.add(16, 17));
    assertEquals(35, c.add(17, 18));
}"""


def _pair(pkg: str, focal: str, test: str, signature: str = "public int add(int a, int b)") -> dict[str, Any]:
    return {"package": pkg, "focal": {"signature": signature, "body": focal, "file": "F.java"}, "test": {"body": test}}


FOCAL = "public int add(int a, int b) {\n  return a + b;\n}"


def test_exact_duplicates_ignore_whitespace() -> None:
    pairs = [_pair("a", FOCAL, TEST), _pair("b", "  " + FOCAL.replace("\n", "\n\n"), TEST.replace("    ", "\t"))]
    result = dedup_pairs(pairs)
    assert result.exact == 1 and result.near == 0
    assert [p["package"] for p in result.kept] == ["a"]


def test_near_duplicate_within_same_focal_signature_is_dropped() -> None:
    near = TEST.replace("assertEquals(35, c.add(17, 18));", "assertEquals(36, c.add(17, 19));")
    assert jaccard(shingles(TEST), shingles(near)) >= 0.9
    result = dedup_pairs([_pair("a", FOCAL, TEST), _pair("b", FOCAL + " ", near)])
    assert result.exact == 0 and result.near == 1
    assert [p["package"] for p in result.kept] == ["a"]


def test_near_duplicate_of_another_focal_signature_is_kept() -> None:
    near = TEST.replace("assertEquals(35, c.add(17, 18));", "assertEquals(36, c.add(17, 19));")
    other = _pair("b", FOCAL, near, signature="public long add(long a, long b)")
    assert dedup_pairs([_pair("a", FOCAL, TEST), other]).near == 0


def test_different_tests_are_kept() -> None:
    other = "@Test\npublic void testAddNegative() {\n    assertThrows(Overflow.class, () -> c.add(MAX, 1));\n}"
    result = dedup_pairs([_pair("a", FOCAL, TEST), _pair("a", FOCAL, other)])
    assert len(result.kept) == 2


def test_method_filters() -> None:
    assert is_test_path("src/test/java/p/FooTest.java")
    assert is_test_path("core/FooTests.java") and is_test_path("TestFoo.java")
    assert not is_test_path("src/main/java/p/Testable.java")
    assert not is_test_path("src/main/java/p/Foo.java")
    assert not keep_method("int a() { return 1; }")
    assert keep_method("int a() {\n return 1;\n}")
    assert not keep_method("int a() {\n" + "x();\n" * 2000 + "}")
