package io.shopkit.util;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdGeneratorTest {

    private IdGenerator orders;

    @BeforeEach
    void setUp() {
        orders = new IdGenerator("ORD");
    }

    @Test
    void next_firstCall_returnsPaddedIdWithCheckDigit() {
        // given
        IdGenerator generator = orders;

        // when
        String id = generator.next();

        // then
        assertEquals("ORD-000001-8", id);
    }

    @Test
    void next_secondCall_incrementsSequence() {
        // given
        orders.next();

        // when
        String id = orders.next();

        // then
        assertEquals("ORD-000002-6", id);
    }

    @ParameterizedTest(name = "checksum({0}) = {1}")
    @CsvSource({"0, 0", "1, 8", "42, 2", "7992739871, 3"})
    void checksum_knownValues_matchesLuhn(long value, int expected) {
        // given
        long number = value;

        // when
        int digit = IdGenerator.checksum(number);

        // then
        assertEquals(expected, digit);
    }

    @Test
    void checksum_negativeValue_throwsIllegalArgument() {
        // given
        long value = -5;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "value must not be negative",
                () -> IdGenerator.checksum(value));
    }

    @Test
    void isValid_generatedId_returnsTrue() {
        // given
        String id = orders.next();

        // when
        boolean valid = orders.isValid(id);

        // then
        assertTrue(valid);
    }

    @Test
    void isValid_wrongCheckDigit_returnsFalse() {
        // given
        String id = "ORD-000001-7";

        // when
        boolean valid = orders.isValid(id);

        // then
        assertFalse(valid);
    }

    @Test
    void isValid_otherPrefix_returnsFalse() {
        // given
        String id = "INV-000001-8";

        // when
        boolean valid = orders.isValid(id);

        // then
        assertFalse(valid);
    }

    @Test
    void parseSequence_validId_returnsNumber() {
        // given
        IdGenerator invoices = new IdGenerator("INV", 6, 42);
        String id = invoices.next();

        // when
        long sequence = invoices.parseSequence(id);

        // then
        assertEquals(42, sequence);
    }

    @Test
    void parseSequence_invalidId_throwsIllegalArgument() {
        // given
        String id = "ORD-12";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Not a valid ORD id: 'ORD-12'",
                () -> orders.parseSequence(id));
    }
}
