package io.shopkit.tax;

import io.shopkit.cart.Cart;
import io.shopkit.cart.LineItem;
import io.shopkit.money.Money;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;

import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaxCalculatorTest {

    private TaxCalculator calculator;

    @BeforeEach
    void setUp() {
        calculator = TaxCalculator.europeanDefaults();
    }

    @Test
    void rateFor_germanyStandardCategory_returnsNineteen() {
        // given
        String region = "de";

        // when
        BigDecimal rate = calculator.rateFor(region, "kitchen");

        // then
        assertEquals(new BigDecimal("19"), rate);
    }

    @Test
    void rateFor_booksInGermany_returnsReducedRate() {
        // given
        String category = "Books";

        // when
        BigDecimal rate = calculator.rateFor("DE", category);

        // then
        assertEquals(new BigDecimal("7"), rate);
    }

    @Test
    @DisplayName("a US state without its own rate falls back to the country rate")
    void rateFor_subdivisionWithoutOwnRate_fallsBackToCountry() {
        // given
        calculator.registerRegion("US", new BigDecimal("5"));

        // when
        BigDecimal rate = calculator.rateFor("US-NY", null);

        // then
        assertEquals(new BigDecimal("5"), rate);
    }

    @Test
    void rateFor_unknownRegion_throwsIllegalArgument() {
        // given
        String region = "XX";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Unknown tax region: XX",
                () -> calculator.rateFor(region, null));
    }

    @Test
    void rateFor_malformedRegion_throwsIllegalArgument() {
        // given
        String region = "Germany";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Invalid region code: 'Germany'",
                () -> calculator.rateFor(region, null));
    }

    @Test
    void exempt_category_makesRateZero() {
        // given
        String category = "food";

        // when
        calculator.exempt("NL", category);

        // then
        assertTrue(calculator.isExempt("NL", "FOOD"));
        assertEquals(BigDecimal.ZERO, calculator.rateFor("NL", category));
    }

    @Test
    void taxForItem_standardRate_roundsToCents() {
        // given
        LineItem item = new LineItem(aProduct().withPrice("9.99").inCategory("kitchen").build(), 2);

        // when
        Money tax = calculator.taxForItem(item, "DE");

        // then
        assertMoney("EUR 3.80", tax);
    }

    @Test
    void taxForCart_mixedCategories_appliesRatePerLine() {
        // given
        Cart cart = aCart()
                .with(aProduct().withSku("BOOK-1").withPrice("20.00").inCategory("books").build(), 1)
                .with(aProduct().withSku("MUG-1").withPrice("10.00").inCategory("kitchen").build(), 1)
                .build();

        // when
        Money tax = calculator.taxForCart(cart, "FR");

        // then
        assertMoney("EUR 3.10", tax);
    }

    @ParameterizedTest(name = "{1} net in {0} -> {2} gross")
    @CsvSource({"DE, 100.00, 119.00", "FR, 10.00, 12.00", "NL, 9.99, 12.09"})
    void grossPrice_standardRates_addsTax(String region, String net, String expectedGross) {
        // given
        Money netPrice = eur(net);

        // when
        Money gross = calculator.grossPrice(netPrice, region);

        // then
        assertMoney(eur(expectedGross), gross);
    }

    @Test
    void registerRegion_rateAboveHundred_throwsIllegalArgument() {
        // given
        BigDecimal rate = new BigDecimal("101");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Tax rate must be between 0 and 100",
                () -> calculator.registerRegion("AT", rate));
    }
}
