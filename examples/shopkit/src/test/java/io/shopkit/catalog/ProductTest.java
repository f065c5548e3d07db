package io.shopkit.catalog;

import io.shopkit.money.Money;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.Fixtures.usd;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProductTest {

    @Test
    void withPrice_sameCurrency_returnsCopyWithNewPrice() {
        // given
        Product product = aProduct().withPrice("9.99").build();

        // when
        Product repriced = product.withPrice(eur("7.49"));

        // then
        assertMoney("EUR 7.49", repriced.price());
        assertMoney("EUR 9.99", product.price());
        assertEquals(product.sku(), repriced.sku());
    }

    @Test
    void withPrice_otherCurrency_throwsIllegalArgument() {
        // given
        Product product = aProduct().withSku("MUG-1").build();

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Cannot change currency of MUG-1",
                () -> product.withPrice(usd("9.99")));
    }

    @Test
    void deactivate_activeProduct_returnsInactiveCopy() {
        // given
        Product product = aProduct().build();

        // when
        Product inactive = product.deactivate();

        // then
        assertFalse(inactive.isActive());
        assertTrue(product.isActive());
    }

    @Test
    void deactivate_alreadyInactive_throwsIllegalState() {
        // given
        Product product = aProduct().withSku("MUG-2").inactive().build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Product MUG-2 is already inactive",
                product::deactivate);
    }

    @Test
    void activate_inactiveProduct_returnsActiveCopy() {
        // given
        Product product = aProduct().inactive().build();

        // when
        Product active = product.activate();

        // then
        assertTrue(active.isActive());
    }

    @Test
    void isPurchasable_inactiveProduct_returnsFalse() {
        // given
        Product product = aProduct().inactive().build();

        // when
        boolean purchasable = product.isPurchasable();

        // then
        assertFalse(purchasable);
    }

    @Test
    @DisplayName("free items (price 0.00) cannot be bought on their own")
    void isPurchasable_zeroPrice_returnsFalse() {
        // given
        Product product = aProduct().withPrice("0.00").build();

        // when
        boolean purchasable = product.isPurchasable();

        // then
        assertFalse(purchasable);
    }

    @ParameterizedTest(name = "{0} g heavy? {1}")
    @CsvSource({"4999, false", "5000, true", "12000, true", "0, false"})
    void isHeavy_byWeight_usesFiveKiloThreshold(int grams, boolean expected) {
        // given
        Product product = aProduct().weighing(grams).build();

        // when
        boolean heavy = product.isHeavy();

        // then
        assertEquals(expected, heavy);
    }

    @Test
    void priceFor_threeUnits_multipliesUnitPrice() {
        // given
        Product product = aProduct().withPrice("2.50").build();

        // when
        Money price = product.priceFor(3);

        // then
        assertMoney("EUR 7.50", price);
    }

    @Test
    void priceFor_zeroUnits_throwsIllegalArgument() {
        // given
        Product product = aProduct().build();

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "quantity must be positive but was 0",
                () -> product.priceFor(0));
    }
}
