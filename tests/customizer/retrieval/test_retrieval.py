from customizer.java.context import FocalContext
from customizer.mining.pairs import FocalMethod, Pair, TestMethod
from customizer.retrieval import RetrievalIndex, adapt_test
from customizer.retrieval.rename import identifier_mapping


def _pair(i: int, focal: str, name: str, test: str, cls: str = "Cart") -> Pair:
    return Pair(id=f"{i:016x}", repo="r", commit="c", heuristic="name",
                focal=FocalMethod(file=f"src/main/java/{cls}.java", class_=cls, method=name,
                                  signature=focal.split("{")[0].strip(), body=focal, byte_range=(0, len(focal)),
                                  line=1),
                context=FocalContext(class_name=cls, constructors=[], methods=[], fields=[]),
                test=TestMethod(file=f"src/test/java/{cls}Test.java", class_=f"{cls}Test", method="t", body=test))


PAIRS = [
    _pair(1, "public void addItem(Sku sku, int qty) { items.merge(sku, qty, Integer::sum); }", "addItem",
          "@Test void addItem_twice_merges() { cart.addItem(sku, 1); }"),
    _pair(2, "public Money total() { return items.stream().map(LineItem::price).reduce(Money.ZERO, Money::plus); }",
          "total", "@Test void total_empty_isZero() { assertEquals(Money.ZERO, cart.total()); }"),
    _pair(3, "public int parseQuantity(String raw) { return Integer.parseInt(raw.trim()); }", "parseQuantity",
          "@Test void parseQuantity_spaces_trimmed() { assertEquals(3, parser.parseQuantity(\" 3 \")); }",
          cls="CsvParser"),
]


def test_nearest_focal_method_is_retrieved_first():
    index = RetrievalIndex(PAIRS)
    hits = index.query("public void removeItem(Sku sku, int qty) { items.remove(sku); }", k=2)
    assert hits[0].pair.focal.method == "addItem"
    assert hits[0].score >= hits[1].score
    hits = index.query("public long parsePrice(String raw) { return Long.parseLong(raw.trim()); }")
    assert hits[0].pair.focal.method == "parseQuantity"


def test_query_can_exclude_the_query_methods_own_tests():
    index = RetrievalIndex(PAIRS)
    own = (PAIRS[0].focal.file, PAIRS[0].focal.signature)
    assert all(h.pair.id != PAIRS[0].id for h in index.query(PAIRS[0].focal.body, k=3, exclude_focal=own))


def test_empty_index_returns_nothing():
    assert RetrievalIndex([]).query("void f() {}") == []


def test_adapt_test_renames_method_class_and_parameters_one_to_one():
    test = "@Test void testAddItem() { Cart c = new Cart(); c.addItem(sku, 2); assertEquals(1, c.size()); }"
    out = adapt_test(test, "public void addItem(Sku sku, int qty) {}", "public void removeItem(Sku s, int n) {}",
                     "Cart", "Basket")
    assert out == ("@Test void testRemoveItem() { Basket c = new Basket(); c.removeItem(s, 2); "
                   "assertEquals(1, c.size()); }")


def test_no_rename_when_mapping_is_not_one_to_one_or_parameter_counts_differ():
    mapping = identifier_mapping("void f(int a, int b) {}", "void g(int x) {}")
    assert mapping == {"f": "g"}
    # a swap (f <-> a) is not a safe textual rename: nothing is renamed
    assert identifier_mapping("void f(int a) {}", "void a(int f) {}") == {}
    # two old names that would both become "sum" (method and parameter): neither is renamed
    assert identifier_mapping("int total(int count) {}", "int sum(int sum) {}") == {}


def test_adapt_test_leaves_unrelated_identifiers_alone():
    test = "@Test void testTotalPrice() { assertEquals(totalPrices, cart.total()); }"
    out = adapt_test(test, "Money total() {}", "Money subtotal() {}")
    assert "cart.subtotal()" in out and "totalPrices" in out and "testSubtotalPrice" in out


def test_adapt_test_renames_underscore_segments_once_and_keeps_existing_target_names():
    test = ("@Test void exempt_category_makesRateZero() { calc.exempt(\"NL\", c); "
            "assertTrue(calc.isExempt(\"NL\", \"FOOD\")); }")
    out = adapt_test(test, "void exempt(String r, String c) {}", "boolean isExempt(String r, String c) {}")
    assert out == ("@Test void isExempt_category_makesRateZero() { calc.isExempt(\"NL\", c); "
                   "assertTrue(calc.isExempt(\"NL\", \"FOOD\")); }")


def test_adapt_test_declares_the_result_of_the_call_with_the_query_methods_return_type():
    test = ("@Test void rateFor_books() {\n    BigDecimal rate = calc.rateFor(\"DE\", \"Books\");\n"
            "    BigDecimal a = calc.rateFor(\"NL\", x), b = calc.rateFor(\"US\", y);\n"
            "    BigDecimal c = calc.rateFor(\"NL\", x), d = BigDecimal.ONE;\n"
            "    BigDecimal e = other.total(); // Ünïcode before and after\n    assertEquals(SEVEN, rate);\n}")
    out = adapt_test(test, "public BigDecimal rateFor(String r, String c) { return null; }",
                     "public boolean isExempt(String r, String c) { return false; }")
    assert out == test.replace("rateFor", "isExempt").replace("BigDecimal rate", "boolean rate").replace(
        "BigDecimal a", "boolean a")  # `c, d` mixes another initializer; `e` holds another call
    generic = "@Test void t() {\n    List<Item> items = repo.findAll();\n}"
    assert "Set<Item> items = repo.findAll()" in adapt_test(generic, "List<Item> findAll() {}",
                                                            "Set<Item> findAll() {}")
    assert adapt_test(generic, "List <Item> findAll() {}", "List<Item> findAll() {}") == generic
    # a type variable of the query's class means nothing in a test; a void method has no result to hold
    assert adapt_test(generic, "List<Item> findAll() {}", "List<T> findAll() {}") == generic
    assert adapt_test(generic, "List<Item> findAll() {}", "Map<K, Item> findAll() {}") == generic
    assert "List<Item> items = repo.clear()" in adapt_test(generic, "List<Item> findAll() {}", "void clear() {}")


def test_adapt_test_renames_inside_words_only_in_the_tests_own_name():
    test = ("@Test\nvoid code_lowercaseInput_isStoredUppercase() {\n"
            "    DiscountCode discountCode = aDiscountCode().withCode(\"welcome5\").build();\n"
            "    String code = discountCode.code();\n    assertEquals(\"WELCOME5\", code);\n}")
    out = adapt_test(test, "public String code() { return code; }", "public PricingRule redeem() { return null; }")
    assert out.startswith("@Test\nvoid redeem_lowercaseInput_isStoredUppercase() {")
    assert "DiscountCode discountCode = aDiscountCode().withCode(\"welcome5\").build();" in out  # things that exist
    assert "PricingRule redeem = discountCode.redeem();" in out  # whole identifiers: everywhere
