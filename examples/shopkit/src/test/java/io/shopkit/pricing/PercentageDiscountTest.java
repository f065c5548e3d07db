package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.math.BigDecimal;
import java.util.Optional;

import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertZero;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PercentageDiscountTest {

    @Test
    void discountFor_wholeCart_takesPercentOfSubtotal() {
        // given
        Cart cart = aCart().withItem("MUG-1", "20.00", 2).withItem("TEA-1", "5.00", 1).build();
        PercentageDiscount discount = new PercentageDiscount(BigDecimal.TEN);

        // when
        Money result = discount.discountFor(cart);

        // then
        assertMoney("EUR 4.50", result);
    }

    @Test
    void discountFor_categoryRestriction_onlyDiscountsMatchingLines() {
        // given
        Cart cart = aCart()
                .with(aProduct().withSku("BOOK-1").withPrice("30.00").inCategory("books").build(), 1)
                .with(aProduct().withSku("MUG-1").withPrice("10.00").inCategory("kitchen").build(), 1)
                .build();
        PercentageDiscount discount = new PercentageDiscount(new BigDecimal("20"), "Books");

        // when
        Money result = discount.discountFor(cart);

        // then
        assertMoney("EUR 6.00", result);
    }

    @Test
    void discountFor_emptyCart_returnsZero() {
        // given
        Cart cart = aCart().build();
        PercentageDiscount discount = new PercentageDiscount(BigDecimal.TEN);

        // when
        Money result = discount.discountFor(cart);

        // then
        assertZero(result);
    }

    @ParameterizedTest(name = "{0}% in {1} -> \"{2}\"")
    @CsvSource({
            "10, , 10% off",
            "12.50, , 12.5% off",
            "25, Books, 25% off books"
    })
    void description_variousRates_stripsTrailingZeros(String percent, String category, String expected) {
        // given
        PercentageDiscount discount = new PercentageDiscount(new BigDecimal(percent), category);

        // when
        String description = discount.description();

        // then
        assertEquals(expected, description);
    }

    @Test
    void category_restrictedDiscount_returnsLowercaseCategory() {
        // given
        PercentageDiscount discount = new PercentageDiscount(BigDecimal.ONE, " Kitchen ");

        // when
        Optional<String> category = discount.category();

        // then
        assertEquals(Optional.of("kitchen"), category);
    }
}
