package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.sku;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static io.shopkit.testing.ShopAssertions.assertZero;
import static org.junit.jupiter.api.Assertions.assertEquals;

class BuyXGetYDiscountTest {

    private BuyXGetYDiscount threeForTwo;

    @BeforeEach
    void setUp() {
        threeForTwo = new BuyXGetYDiscount(sku("MUG-1"), 2, 1);
    }

    @ParameterizedTest(name = "{0} units -> {1} free")
    @CsvSource({"0, 0", "2, 0", "3, 1", "5, 1", "6, 2", "7, 2"})
    void freeUnits_variousQuantities_countsCompleteGroups(int quantity, int expectedFree) {
        // given
        int purchased = quantity;

        // when
        int free = threeForTwo.freeUnits(purchased);

        // then
        assertEquals(expectedFree, free);
    }

    @Test
    void freeUnits_negativeQuantity_throwsIllegalArgument() {
        // given
        int quantity = -1;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "quantity must not be negative",
                () -> threeForTwo.freeUnits(quantity));
    }

    @Test
    @DisplayName("3 for 2: the third mug is free")
    void discountFor_threeUnits_oneUnitFree() {
        // given
        Cart cart = aCart().withItem("MUG-1", "4.50", 3).build();

        // when
        Money result = threeForTwo.discountFor(cart);

        // then
        assertMoney("EUR 4.50", result);
    }

    @Test
    void discountFor_skuNotInCart_returnsZero() {
        // given
        Cart cart = aCart().withItem("TEA-1", "4.50", 6).build();

        // when
        Money result = threeForTwo.discountFor(cart);

        // then
        assertZero(result);
    }

    @Test
    void discountFor_belowGroupSize_returnsZero() {
        // given
        Cart cart = aCart().withItem("MUG-1", "4.50", 2).build();

        // when
        Money result = threeForTwo.discountFor(cart);

        // then
        assertZero(result);
    }

    @Test
    void description_threeForTwo_namesSku() {
        // given
        BuyXGetYDiscount discount = threeForTwo;

        // when
        String description = discount.description();

        // then
        assertEquals("Buy 2 get 1 free on MUG-1", description);
    }
}
