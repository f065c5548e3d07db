package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;
import org.junit.jupiter.api.Test;

import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static io.shopkit.testing.ShopAssertions.assertZero;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FixedAmountDiscountTest {

    private final FixedAmountDiscount fiveOffOverFifty = new FixedAmountDiscount(eur("5.00"), eur("50.00"));

    @Test
    void discountFor_belowMinimumSpend_returnsZero() {
        // given
        Cart cart = aCart().withItem("MUG-1", "49.99", 1).build();

        // when
        Money result = fiveOffOverFifty.discountFor(cart);

        // then
        assertZero(result);
    }

    @Test
    void discountFor_exactlyMinimumSpend_returnsFullAmount() {
        // given
        Cart cart = aCart().withItem("MUG-1", "25.00", 2).build();

        // when
        Money result = fiveOffOverFifty.discountFor(cart);

        // then
        assertMoney("EUR 5.00", result);
    }

    @Test
    void discountFor_amountAboveSubtotal_isCappedAtSubtotal() {
        // given
        FixedAmountDiscount voucher = new FixedAmountDiscount(eur("20.00"), eur("0.00"));
        Cart cart = aCart().withItem("MUG-1", "12.00", 1).build();

        // when
        Money result = voucher.discountFor(cart);

        // then
        assertMoney("EUR 12.00", result);
    }

    @Test
    void discountFor_cartInOtherCurrency_throwsIllegalArgument() {
        // given
        Cart cart = aCart().inCurrency("USD").withItem("MUG-1", "60.00", 1).build();

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "cannot apply to a USD cart",
                () -> fiveOffOverFifty.discountFor(cart));
    }

    @Test
    void description_withMinimumSpend_mentionsThreshold() {
        // given
        FixedAmountDiscount discount = fiveOffOverFifty;

        // when
        String description = discount.description();

        // then
        assertEquals("EUR 5.00 off orders over EUR 50.00", description);
    }

    @Test
    void description_withoutMinimumSpend_omitsThreshold() {
        // given
        FixedAmountDiscount discount = new FixedAmountDiscount(eur("3.00"), eur("0.00"));

        // when
        String description = discount.description();

        // then
        assertEquals("EUR 3.00 off", description);
    }
}
