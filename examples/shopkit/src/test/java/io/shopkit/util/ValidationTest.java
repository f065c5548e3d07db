package io.shopkit.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.regex.Pattern;

import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ValidationTest {

    @Test
    void requireNonBlank_paddedValue_returnsTrimmed() {
        // given
        String value = "  Widget ";

        // when
        String result = Validation.requireNonBlank(value, "name");

        // then
        assertEquals("Widget", result);
    }

    @Test
    void requireNonBlank_null_throwsIllegalArgument() {
        // given
        String value = null;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "name must not be blank",
                () -> Validation.requireNonBlank(value, "name"));
    }

    @Test
    void requirePositive_zero_throwsIllegalArgument() {
        // given
        int value = 0;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "quantity must be positive but was 0",
                () -> Validation.requirePositive(value, "quantity"));
    }

    @Test
    void requirePositive_positive_returnsValue() {
        // given
        int value = 3;

        // when
        int result = Validation.requirePositive(value, "quantity");

        // then
        assertEquals(3, result);
    }

    @Test
    void requireNonNegative_negative_throwsIllegalArgument() {
        // given
        BigDecimal value = new BigDecimal("-1.00");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "price must not be negative but was -1.00",
                () -> Validation.requireNonNegative(value, "price"));
    }

    @Test
    void requireNonNegative_null_throwsIllegalArgument() {
        // given
        BigDecimal value = null;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "price must not be null",
                () -> Validation.requireNonNegative(value, "price"));
    }

    @ParameterizedTest(name = "{0} outside [1, 10]")
    @CsvSource({"0", "11", "-5"})
    void requireInRange_outsideBounds_throwsIllegalArgument(int value) {
        // given
        int candidate = value;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "level must be between 1 and 10",
                () -> Validation.requireInRange(candidate, 1, 10, "level"));
    }

    @Test
    void requireInRange_invertedBounds_throwsIllegalArgument() {
        // given
        int min = 10;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Invalid range [10, 1]",
                () -> Validation.requireInRange(5, min, 1, "level"));
    }

    @ParameterizedTest(name = "isValidEmail({0}) = {1}")
    @CsvSource({
            "alice@example.com, true",
            "a.b+shop@mail.co.uk, true",
            "no-at-sign.example.com, false",
            "bob@localhost, false",
            "carol..x@example.com, false",
            "'', false"
    })
    void isValidEmail_variousAddresses_checksFormat(String email, boolean expected) {
        // given
        String candidate = email;

        // when
        boolean valid = Validation.isValidEmail(candidate);

        // then
        assertEquals(expected, valid);
    }

    @Test
    void requireMatches_mismatch_throwsIllegalArgument() {
        // given
        Pattern digits = Pattern.compile("\\d+");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "zip '12a' does not match",
                () -> Validation.requireMatches("12a", digits, "zip"));
    }
}
