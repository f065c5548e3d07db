package io.shopkit.money;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.List;

import static io.shopkit.testing.Fixtures.EUR;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.Fixtures.usd;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MoneyTest {

    @Test
    @DisplayName("amounts are rounded half-even to the currency's minor unit")
    void of_extraFractionDigits_roundsHalfEven() {
        // given
        String amount = "10.005";

        // when
        Money money = Money.of(amount, "EUR");

        // then
        assertMoney("EUR 10.00", money);
    }

    @Test
    void of_yen_hasNoFractionDigits() {
        // given
        String amount = "100.6";

        // when
        Money money = Money.of(amount, "JPY");

        // then
        assertEquals("JPY 101", money.toString());
    }

    @Test
    void of_blankAmount_throwsIllegalArgument() {
        // given
        String amount = "  ";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Amount must not be blank",
                () -> Money.of(amount, "EUR"));
    }

    @Test
    void of_unknownCurrency_throwsIllegalArgument() {
        // given
        String code = "ZZZ";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Unknown currency: ZZZ",
                () -> Money.of("1.00", code));
    }

    @Test
    void of_notANumber_throwsIllegalArgument() {
        // given
        String amount = "ten";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Invalid amount: 'ten'",
                () -> Money.of(amount, "EUR"));
    }

    @Test
    void parse_canonicalFormat_roundTrips() {
        // given
        String text = "EUR 12.50";

        // when
        Money money = Money.parse(text);

        // then
        assertMoney(eur("12.50"), money);
    }

    @Test
    void parse_missingCurrency_throwsIllegalArgument() {
        // given
        String text = "12.50";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Expected '<CUR> <amount>'",
                () -> Money.parse(text));
    }

    @Test
    void plus_sameCurrency_addsAmounts() {
        // given
        Money price = eur("9.99");

        // when
        Money result = price.plus(eur("0.01"));

        // then
        assertMoney("EUR 10.00", result);
    }

    @Test
    @DisplayName("adding euros to dollars is a programming error")
    void plus_differentCurrency_throwsIllegalArgument() {
        // given
        Money euros = eur("1.00");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Currency mismatch: EUR vs USD",
                () -> euros.plus(usd("1.00")));
    }

    @Test
    void minus_largerAmount_returnsNegative() {
        // given
        Money balance = eur("5.00");

        // when
        Money result = balance.minus(eur("7.50"));

        // then
        assertMoney("EUR -2.50", result);
        assertTrue(result.isNegative());
    }

    @ParameterizedTest(name = "{0} x {1} = {2}")
    @CsvSource({
            "10.00, 0.125, 1.25",
            "0.05, 0.5, 0.02",
            "0.15, 0.5, 0.08",
            "1.00, 3, 3.00"
    })
    void times_decimalFactor_roundsHalfEven(String amount, String factor, String expected) {
        // given
        Money money = eur(amount);

        // when
        Money result = money.times(new BigDecimal(factor));

        // then
        assertMoney(eur(expected), result);
    }

    @Test
    void times_integerFactor_multipliesAmount() {
        // given
        Money unitPrice = eur("2.49");

        // when
        Money result = unitPrice.times(4);

        // then
        assertMoney("EUR 9.96", result);
    }

    @Test
    void percent_fractionalRate_roundsToCents() {
        // given
        Money net = eur("19.99");

        // when
        Money result = net.percent(new BigDecimal("7.5"));

        // then
        assertMoney("EUR 1.50", result);
    }

    @Test
    void percent_negativeRate_throwsIllegalArgument() {
        // given
        Money net = eur("19.99");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Percent must be non-negative",
                () -> net.percent(new BigDecimal("-1")));
    }

    @Test
    @DisplayName("allocation never loses a cent")
    void allocate_threeParts_givesRemainderToFirstParts() {
        // given
        Money total = eur("10.00");

        // when
        List<Money> parts = total.allocate(3);

        // then
        assertEquals(3, parts.size());
        assertMoney("EUR 3.34", parts.get(0));
        assertMoney("EUR 3.33", parts.get(1));
        assertMoney("EUR 3.33", parts.get(2));
    }

    @Test
    void allocate_zeroParts_throwsIllegalArgument() {
        // given
        Money total = eur("10.00");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Parts must be positive but was 0",
                () -> total.allocate(0));
    }

    @Test
    void allocate_negativeAmount_throwsIllegalArgument() {
        // given
        Money debt = eur("-1.00");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Cannot allocate a negative amount",
                () -> debt.allocate(2));
    }

    @Test
    void min_smallerOther_returnsOther() {
        // given
        Money big = eur("5.00");
        Money small = eur("4.99");

        // when
        Money result = big.min(small);

        // then
        assertSame(small, result);
    }

    @Test
    void equals_differentScaleSameValue_areEqual() {
        // given
        Money unscaled = Money.of(new BigDecimal("10"), EUR);

        // when
        boolean equal = unscaled.equals(eur("10.00"));

        // then
        assertTrue(equal);
        assertEquals(eur("10.00").hashCode(), unscaled.hashCode());
    }
}
