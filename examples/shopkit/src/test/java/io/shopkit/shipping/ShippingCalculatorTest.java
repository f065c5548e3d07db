package io.shopkit.shipping;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.LocalDate;

import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.Fixtures.aShippingCalculator;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static io.shopkit.testing.ShopAssertions.assertZero;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShippingCalculatorTest {

    private static final LocalDate FRIDAY = LocalDate.of(2024, 5, 31);

    private ShippingCalculator calculator;
    private Cart smallCart;
    private Cart bigCart;

    @BeforeEach
    void setUp() {
        calculator = aShippingCalculator();
        smallCart = aCart().with(aProduct().withPrice("10.00").weighing(500).build(), 1).build();
        bigCart = aCart().with(aProduct().withPrice("60.00").weighing(500).build(), 1).build();
    }

    @ParameterizedTest(name = "{0} g -> {1}")
    @CsvSource({"0, 4.90", "1000, 4.90", "1001, 6.40", "2500, 7.90", "3000, 7.90"})
    void costForWeight_variousWeights_chargesPerStartedKilogram(int grams, String expected) {
        // given
        int weight = grams;

        // when
        Money cost = calculator.costForWeight(weight);

        // then
        assertMoney(eur(expected), cost);
    }

    @Test
    void costForWeight_negative_throwsIllegalArgument() {
        // given
        int grams = -1;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "grams must not be negative",
                () -> calculator.costForWeight(grams));
    }

    @Test
    void costFor_pickup_isFree() {
        // given
        ShippingMethod method = ShippingMethod.PICKUP;

        // when
        Money cost = calculator.costFor(smallCart, method, "DE");

        // then
        assertZero(cost);
    }

    @Test
    void costFor_standardAboveThreshold_isFree() {
        // given
        ShippingMethod method = ShippingMethod.STANDARD;

        // when
        Money cost = calculator.costFor(bigCart, method, "DE");

        // then
        assertZero(cost);
    }

    @Test
    @DisplayName("express is never free and costs one and a half times the standard rate")
    void costFor_expressAboveThreshold_chargesExpressRate() {
        // given
        ShippingMethod method = ShippingMethod.EXPRESS;

        // when
        Money cost = calculator.costFor(bigCart, method, "DE");

        // then
        assertMoney("EUR 7.35", cost);
    }

    @Test
    void costFor_remoteRegion_addsSurchargeAndSkipsFreeShipping() {
        // given
        String region = "is";

        // when
        Money cost = calculator.costFor(bigCart, ShippingMethod.STANDARD, region);

        // then
        assertMoney("EUR 14.90", cost);
    }

    @Test
    void costFor_emptyCart_throwsIllegalState() {
        // given
        Cart empty = aCart().build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Cannot ship an empty cart",
                () -> calculator.costFor(empty, ShippingMethod.STANDARD, "DE"));
    }

    @Test
    void costFor_cartInOtherCurrency_throwsIllegalArgument() {
        // given
        Cart dollars = aCart().inCurrency("USD").withItem("MUG-1", "5.00", 1).build();

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Cart currency USD is not supported",
                () -> calculator.costFor(dollars, ShippingMethod.STANDARD, "US"));
    }

    @Test
    void isRemote_lowercaseRegistered_matchesCaseInsensitively() {
        // given
        calculator.addRemoteRegion("fo");

        // when
        boolean remote = calculator.isRemote("FO");

        // then
        assertTrue(remote);
    }

    @Test
    void addRemoteRegion_blank_throwsIllegalArgument() {
        // given
        String region = " ";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "region must not be blank",
                () -> calculator.addRemoteRegion(region));
    }

    @ParameterizedTest(name = "{0} ordered Friday -> {1}")
    @CsvSource({"STANDARD, 2024-06-07", "EXPRESS, 2024-06-03", "PICKUP, 2024-05-31"})
    void estimateDelivery_orderedOnFriday_skipsWeekend(ShippingMethod method, LocalDate expected) {
        // given
        LocalDate orderDate = FRIDAY;

        // when
        LocalDate delivery = calculator.estimateDelivery(orderDate, method);

        // then
        assertEquals(expected, delivery);
    }
}
