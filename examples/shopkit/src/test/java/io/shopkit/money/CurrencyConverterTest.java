package io.shopkit.money;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Currency;

import static io.shopkit.testing.Fixtures.EUR;
import static io.shopkit.testing.Fixtures.USD;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.Fixtures.usd;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CurrencyConverterTest {

    private static final Currency JPY = Currency.getInstance("JPY");

    private CurrencyConverter converter;

    @BeforeEach
    void setUp() {
        converter = new CurrencyConverter().addRate(EUR, USD, new BigDecimal("1.10"));
    }

    @Test
    void convert_directRate_multipliesAmount() {
        // given
        Money price = eur("10.00");

        // when
        Money converted = converter.convert(price, USD);

        // then
        assertMoney("USD 11.00", converted);
    }

    @Test
    void convert_onlyInverseRateKnown_dividesAmount() {
        // given
        Money price = usd("11.00");

        // when
        Money converted = converter.convert(price, EUR);

        // then
        assertMoney("EUR 10.00", converted);
    }

    @Test
    void convert_sameCurrency_returnsSameInstance() {
        // given
        Money price = eur("3.00");

        // when
        Money converted = converter.convert(price, EUR);

        // then
        assertSame(price, converted);
    }

    @Test
    void convert_unknownPair_throwsIllegalState() {
        // given
        Money price = eur("3.00");

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "No exchange rate for EUR->JPY",
                () -> converter.convert(price, JPY));
    }

    @Test
    void addRate_zeroRate_throwsIllegalArgument() {
        // given
        BigDecimal rate = BigDecimal.ZERO;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Exchange rate must be positive",
                () -> converter.addRate(EUR, JPY, rate));
    }

    @Test
    void addRate_sameCurrency_throwsIllegalArgument() {
        // given
        BigDecimal rate = BigDecimal.ONE;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "to itself",
                () -> converter.addRate(EUR, EUR, rate));
    }

    @Test
    void rateFor_sameCurrency_returnsOne() {
        // given
        Currency currency = USD;

        // when
        BigDecimal rate = converter.rateFor(currency, currency);

        // then
        assertEquals(BigDecimal.ONE, rate);
    }

    @Test
    void hasRate_onlyInverseRegistered_returnsTrue() {
        // given
        Currency from = USD;

        // when
        boolean known = converter.hasRate(from, EUR);

        // then
        assertTrue(known);
    }
}
