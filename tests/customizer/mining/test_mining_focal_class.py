"""Focal classes of test classes named after a class and an aspect of it (``TestDateTime_Basics``)."""

from __future__ import annotations

import pytest
from gitrepos import MakeRepo

from customizer.mining.heuristics import partial_class_candidates
from customizer.mining.miner import mine_repository


@pytest.mark.parametrize(("test_class", "candidates"), [
    ("TestDateTime_Basics", ["DateTime", "Date"]),
    ("IOUtilsCopyTestCase", ["IOUtils"]),  # "IO" is too short to name a class
    ("ReversedLinesFileReaderTestParamBlockSize",
     ["ReversedLinesFileReader", "ReversedLinesFile", "ReversedLines", "Reversed"]),
    ("OraReaderCreateTest", ["OraReader", "Ora"]),
    ("FooTest", []),  # one word: the whole-name pattern already tried it
    ("Test1", []),
    ("BasicTest", []),
])
def test_partial_class_candidates(test_class: str, candidates: list[str]) -> None:
    assert partial_class_candidates(test_class) == candidates


INTERVAL = """package org.time;

public final class Interval {
    private final long start, end;
    public Interval(long start, long end) { this.start = start; this.end = end; }
    public long length() { return end - start; }
    public boolean contains(long instant) { return start <= instant && instant < end; }
}
"""

INTERVALS = """package org.time;

public final class Intervals {
    public static Interval of(long start, long end) { return new Interval(start, end); }
}
"""

DATE = """package org.time;

public class Date { public int day() { return 1; } }
"""

OTHER_DATE = """package org.other;

public class Date { public int day() { return 2; } }
"""

TESTS = {
    # named after Interval and an aspect: the part before "_", and a camelCase prefix
    "src/test/java/org/time/TestInterval_Basics.java": """package org.time;
import org.junit.Test;
public class TestInterval_Basics {
    @Test public void testLength() { new Interval(1, 3).length(); }
}
""",
    "src/test/java/org/time/IntervalContainsTest.java": """package org.time;
import org.junit.Test;
public class IntervalContainsTest {
    @Test public void testContains() { new Interval(1, 3).contains(2); }
}
""",
    # found by a prefix only: a call on something of unknown type (here a String's length()) is no evidence
    "src/test/java/org/time/IntervalFormatTest.java": """package org.time;
import org.junit.Test;
public class IntervalFormatTest {
    @Test public void testWidth() { String.valueOf(42).trim().length(); }
}
""",
    # the whole name wins over a prefix: IntervalsTest tests Intervals, not Interval
    "src/test/java/org/time/IntervalsTest.java": """package org.time;
import org.junit.Test;
public class IntervalsTest {
    @Test public void testOf() { Intervals.of(1, 2); }
}
""",
    # "DateParsing" names no class and "Date" two: the longest prefix that names a class decides, so no guess
    "src/test/java/org/misc/DateParsingTest.java": """package org.misc;
import org.junit.Test;
public class DateParsingTest {
    @Test public void testDay() { new org.time.Date().day(); }
}
""",
}


def test_test_classes_named_after_a_class_and_an_aspect(make_repo: MakeRepo) -> None:
    files = {"src/main/java/org/time/Interval.java": INTERVAL, "src/main/java/org/time/Intervals.java": INTERVALS,
             "src/main/java/org/time/Date.java": DATE, "src/main/java/org/other/Date.java": OTHER_DATE, **TESTS}
    result = mine_repository(make_repo(files))
    mapping = {f"{p.test.class_}.{p.test.method}": (p.focal.class_, p.focal.method) for p in result.pairs}
    assert mapping == {
        "TestInterval_Basics.testLength": ("Interval", "length"),
        "IntervalContainsTest.testContains": ("Interval", "contains"),
        "IntervalsTest.testOf": ("Intervals", "of"),
    }
    assert result.summary.skip_examples["ambiguous_focal_class"] == ["DateParsingTest.testDay"]
    assert result.summary.skip_examples["no_match"] == ["IntervalFormatTest.testWidth"]
    # a prefix match does not make a naming convention: new tests are still placed as FooTest
    assert result.conventions.naming_counts == {"{name}Test": 1}
