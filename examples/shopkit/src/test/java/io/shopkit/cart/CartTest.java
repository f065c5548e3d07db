package io.shopkit.cart;

import io.shopkit.catalog.Product;
import io.shopkit.money.Money;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.NoSuchElementException;

import static io.shopkit.testing.Fixtures.EUR;
import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.Fixtures.sku;
import static io.shopkit.testing.Fixtures.usd;
import static io.shopkit.testing.ShopAssertions.assertLineItem;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static io.shopkit.testing.ShopAssertions.assertZero;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CartTest {

    private Cart cart;
    private Product mug;
    private Product tea;

    @BeforeEach
    void setUp() {
        cart = new Cart(EUR);
        mug = aProduct().withSku("MUG-1").withPrice("4.50").weighing(350).build();
        tea = aProduct().withSku("TEA-1").withPrice("3.20").weighing(100).build();
    }

    @Test
    void addItem_newProduct_createsLine() {
        // given
        int quantity = 2;

        // when
        LineItem line = cart.addItem(mug, quantity);

        // then
        assertLineItem("MUG-1", 2, "EUR 9.00", line);
        assertEquals(1, cart.items().size());
    }

    @Test
    @DisplayName("adding the same SKU twice merges into one line")
    void addItem_sameSkuTwice_mergesQuantities() {
        // given
        cart.addItem(mug, 1);

        // when
        LineItem line = cart.addItem(mug, 2);

        // then
        assertLineItem("MUG-1", 3, "EUR 13.50", line);
        assertEquals(1, cart.items().size());
    }

    @Test
    void addItem_productInOtherCurrency_throwsIllegalArgument() {
        // given
        Product dollarMug = aProduct().withSku("MUG-9").withPrice(usd("5.00")).build();

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "is priced in USD but the cart uses EUR",
                () -> cart.addItem(dollarMug, 1));
    }

    @Test
    void addItem_inactiveProduct_throwsIllegalState() {
        // given
        Product retired = aProduct().withSku("MUG-7").inactive().build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Product MUG-7 is not available",
                () -> cart.addItem(retired, 1));
    }

    @Test
    void addItem_zeroQuantity_throwsIllegalArgument() {
        // given
        int quantity = 0;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "quantity must be positive",
                () -> cart.addItem(mug, quantity));
    }

    @Test
    void removeItem_existingSku_returnsTrue() {
        // given
        cart.addItem(mug, 1);

        // when
        boolean removed = cart.removeItem(mug.sku());

        // then
        assertTrue(removed);
        assertTrue(cart.isEmpty());
    }

    @Test
    void removeItem_missingSku_returnsFalse() {
        // given
        cart.addItem(mug, 1);

        // when
        boolean removed = cart.removeItem(sku("XYZ-1"));

        // then
        assertFalse(removed);
    }

    @Test
    void updateQuantity_zero_removesLine() {
        // given
        cart.addItem(mug, 2);

        // when
        cart.updateQuantity(mug.sku(), 0);

        // then
        assertTrue(cart.findItem(mug.sku()).isEmpty());
    }

    @Test
    void updateQuantity_positive_replacesQuantity() {
        // given
        cart.addItem(mug, 2);

        // when
        cart.updateQuantity(mug.sku(), 5);

        // then
        assertLineItem("MUG-1", 5, "EUR 22.50", cart.findItem(mug.sku()).orElseThrow());
    }

    @Test
    void updateQuantity_unknownSku_throwsNoSuchElement() {
        // given
        cart.addItem(mug, 2);

        // when / then
        assertThrowsWithMessage(NoSuchElementException.class, "No line for TEA-1 in cart",
                () -> cart.updateQuantity(tea.sku(), 1));
    }

    @Test
    void updateQuantity_negative_throwsIllegalArgument() {
        // given
        cart.addItem(mug, 2);

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "must not be negative",
                () -> cart.updateQuantity(mug.sku(), -1));
    }

    @Test
    void subtotal_severalLines_sumsLineTotals() {
        // given
        cart.addItem(mug, 2);
        cart.addItem(tea, 3);

        // when
        Money subtotal = cart.subtotal();

        // then
        assertMoney("EUR 18.60", subtotal);
    }

    @Test
    void subtotal_emptyCart_isZero() {
        // given
        Cart empty = aCart().build();

        // when
        Money subtotal = empty.subtotal();

        // then
        assertZero(subtotal);
    }

    @Test
    void itemCount_severalLines_sumsQuantities() {
        // given
        cart.addItem(mug, 2);
        cart.addItem(tea, 3);

        // when
        int count = cart.itemCount();

        // then
        assertEquals(5, count);
    }

    @Test
    void totalWeightGrams_severalLines_sumsWeights() {
        // given
        cart.addItem(mug, 2);
        cart.addItem(tea, 3);

        // when
        int grams = cart.totalWeightGrams();

        // then
        assertEquals(1000, grams);
    }

    @Test
    void clear_filledCart_removesAllLines() {
        // given
        cart.addItem(mug, 2);
        cart.addItem(tea, 3);

        // when
        cart.clear();

        // then
        assertTrue(cart.isEmpty());
        assertEquals(0, cart.itemCount());
    }

    @Test
    void items_returnedList_isUnmodifiable() {
        // given
        cart.addItem(mug, 1);

        // when
        List<LineItem> items = cart.items();

        // then
        assertThrows(UnsupportedOperationException.class, () -> items.add(new LineItem(tea, 1)));
    }
}
