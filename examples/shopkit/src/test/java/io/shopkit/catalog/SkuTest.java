package io.shopkit.catalog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SkuTest {

    @Test
    void of_lowercaseWithSpaces_normalizesToUppercase() {
        // given
        String raw = "  mug-42 ";

        // when
        Sku sku = Sku.of(raw);

        // then
        assertEquals("MUG-42", sku.value());
    }

    @Test
    void of_missingDash_throwsIllegalArgument() {
        // given
        String raw = "MUG42";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Invalid SKU: 'MUG42'", () -> Sku.of(raw));
    }

    @Test
    void of_blank_throwsIllegalArgument() {
        // given
        String raw = "";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "SKU must not be blank", () -> Sku.of(raw));
    }

    @ParameterizedTest(name = "isValid({0}) = {1}")
    @CsvSource({
            "MUG-1, true",
            "mug-42, true",
            "M-1, false",
            "ABCDEF-1, false",
            "AB-1234567, false",
            "AB-12x, false"
    })
    void isValid_variousInputs_matchesFormat(String raw, boolean expected) {
        // given
        String candidate = raw;

        // when
        boolean valid = Sku.isValid(candidate);

        // then
        assertEquals(expected, valid);
    }

    @Test
    void prefix_validSku_returnsCategoryPart() {
        // given
        Sku sku = Sku.of("TEA-7");

        // when
        String prefix = sku.prefix();

        // then
        assertEquals("TEA", prefix);
    }

    @Test
    void number_leadingZeros_parsesNumericPart() {
        // given
        Sku sku = Sku.of("MUG-0042");

        // when
        int number = sku.number();

        // then
        assertEquals(42, number);
    }

    @Test
    void compareTo_samePrefix_ordersNumerically() {
        // given
        Sku nine = Sku.of("MUG-9");

        // when
        int comparison = nine.compareTo(Sku.of("MUG-10"));

        // then
        assertTrue(comparison < 0);
    }

    @Test
    void equals_differentInputCase_areEqual() {
        // given
        Sku upper = Sku.of("MUG-1");

        // when
        boolean equal = upper.equals(Sku.of("mug-1"));

        // then
        assertTrue(equal);
    }
}
