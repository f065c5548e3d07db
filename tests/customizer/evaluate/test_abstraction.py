from customizer.evaluate.abstraction import abstract, abstract_tokens, abstracted_match


def test_names_and_literals_become_numbered_placeholders_in_order():
    code = 'void check() { Order order = shop.place("A-1", 42); verify(order, 42, 3.5); }'
    assert abstract(code) == (
        "void METHOD_1 ( ) { TYPE_1 VAR_1 = VAR_2 . METHOD_2 ( STRING_1 , INT_1 ) ; "
        "METHOD_3 ( VAR_1 , INT_1 , FLOAT_1 ) ; }"
    )


def test_idioms_keywords_and_punctuation_are_kept():
    code = "@Test public void t() { assertEquals(0, list.size()); assertNull(null); }"
    tokens = abstract_tokens(code)
    for kept in ("@", "Test", "public", "void", "assertEquals", "0", "size", "assertNull", "null", "(", ";"):
        assert kept in tokens
    assert "list" not in tokens and "VAR_1" in tokens


def test_static_call_receiver_and_generic_types_are_types():
    tokens = abstract_tokens("void m() { Money m = Money.of(5); Box<Item> b = new Box<>(); }")
    assert tokens[:6] == ["void", "METHOD_1", "(", ")", "{", "TYPE_1"]
    assert tokens.count("TYPE_1") == 2  # declared type and static receiver
    assert "TYPE_2" in tokens and "TYPE_3" in tokens  # Box and Item


def test_consistent_renaming_matches_but_different_structure_does_not():
    a = "@Test void testA() { Cart c = new Cart(); c.addItem(sku, 2); assertEquals(2, c.count()); }"
    b = "@Test void testB() { Basket k = new Basket(); k.put2(item, 2); assertEquals(2, k.total()); }"
    c = "@Test void testC() { Cart c = new Cart(); c.addItem(sku, 2); assertTrue(c.count() > 2); }"
    assert abstracted_match(a, b)
    assert not abstracted_match(a, c)


def test_inconsistent_renaming_does_not_match():
    a = "void t() { x = y; }"
    b = "void t() { x = x; }"
    assert not abstracted_match(a, b)


def test_empty_or_garbage_never_matches():
    assert not abstracted_match("", "")
