package io.shopkit.pricing;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static io.shopkit.testing.Fixtures.NOW;
import static io.shopkit.testing.Fixtures.aDiscountCode;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiscountCodeTest {

    private static final Instant START = NOW;
    private static final Instant END = NOW.plus(Duration.ofDays(7));

    @Test
    void matches_lowercaseInputWithSpaces_returnsTrue() {
        // given
        DiscountCode code = aDiscountCode().withCode("SUMMER24").build();

        // when
        boolean matches = code.matches("  summer24 ");

        // then
        assertTrue(matches);
    }

    @Test
    void matches_differentCode_returnsFalse() {
        // given
        DiscountCode code = aDiscountCode().withCode("SUMMER24").build();

        // when
        boolean matches = code.matches("WINTER24");

        // then
        assertFalse(matches);
    }

    @Test
    void code_lowercaseInput_isStoredUppercase() {
        // given
        DiscountCode discountCode = aDiscountCode().withCode("welcome5").build();

        // when
        String code = discountCode.code();

        // then
        assertEquals("WELCOME5", code);
    }

    @Test
    void isValidAt_insideWindow_returnsTrue() {
        // given
        DiscountCode code = aDiscountCode().validBetween(START, END).build();

        // when
        boolean valid = code.isValidAt(START.plus(Duration.ofDays(1)));

        // then
        assertTrue(valid);
    }

    @Test
    void isValidAt_beforeStart_returnsFalse() {
        // given
        DiscountCode code = aDiscountCode().validBetween(START, END).build();

        // when
        boolean valid = code.isValidAt(START.minusSeconds(1));

        // then
        assertFalse(valid);
    }

    @Test
    void isValidAt_exactlyAtEnd_returnsFalse() {
        // given
        DiscountCode code = aDiscountCode().validBetween(START, END).build();

        // when
        boolean valid = code.isValidAt(END);

        // then
        assertFalse(valid);
    }

    @Test
    void redeem_validCode_returnsRuleAndConsumesUse() {
        // given
        DiscountCode code = aDiscountCode().validBetween(START, END).withMaxUses(3).build();

        // when
        PricingRule rule = code.redeem(START);

        // then
        assertSame(code.rule(), rule);
        assertEquals(2, code.remainingUses());
    }

    @Test
    void redeem_afterEnd_throwsIllegalState() {
        // given
        DiscountCode code = aDiscountCode().withCode("SPRING24").validBetween(START, END).build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Code SPRING24 has expired", () -> code.redeem(END));
    }

    @Test
    void redeem_beforeStart_throwsIllegalState() {
        // given
        DiscountCode code = aDiscountCode().withCode("XMAS24").validBetween(START, END).build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Code XMAS24 is not active yet",
                () -> code.redeem(START.minusSeconds(60)));
    }

    @Test
    void redeem_allUsesConsumed_throwsIllegalState() {
        // given
        DiscountCode code = aDiscountCode().withCode("ONCE").validBetween(START, END).withMaxUses(1).build();
        code.redeem(START);

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Code ONCE has been used up", () -> code.redeem(START));
    }
}
