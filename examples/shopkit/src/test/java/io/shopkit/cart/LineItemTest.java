package io.shopkit.cart;

import io.shopkit.catalog.Product;
import io.shopkit.money.Money;
import org.junit.jupiter.api.Test;

import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.ShopAssertions.assertLineItem;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LineItemTest {

    private final Product mug = aProduct().withSku("MUG-1").withPrice("4.50").weighing(350).build();

    @Test
    void total_severalUnits_multipliesUnitPrice() {
        // given
        LineItem line = new LineItem(mug, 3);

        // when
        Money total = line.total();

        // then
        assertMoney("EUR 13.50", total);
    }

    @Test
    void withQuantity_validQuantity_returnsNewLine() {
        // given
        LineItem line = new LineItem(mug, 3);

        // when
        LineItem changed = line.withQuantity(5);

        // then
        assertLineItem("MUG-1", 5, "EUR 22.50", changed);
        assertEquals(3, line.quantity());
    }

    @Test
    void withQuantity_aboveMaximum_throwsIllegalArgument() {
        // given
        LineItem line = new LineItem(mug, 1);

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "quantity must be between 1 and 99 but was 100",
                () -> line.withQuantity(100));
    }

    @Test
    void increaseBy_withinLimit_addsUnits() {
        // given
        LineItem line = new LineItem(mug, 2);

        // when
        LineItem increased = line.increaseBy(3);

        // then
        assertLineItem("MUG-1", 5, "EUR 22.50", increased);
    }

    @Test
    void increaseBy_beyondLimit_throwsIllegalArgument() {
        // given
        LineItem line = new LineItem(mug, 98);

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "At most 99 units of MUG-1",
                () -> line.increaseBy(2));
    }

    @Test
    void increaseBy_zero_throwsIllegalArgument() {
        // given
        LineItem line = new LineItem(mug, 2);

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "extra must be positive", () -> line.increaseBy(0));
    }

    @Test
    void totalWeightGrams_severalUnits_multipliesWeight() {
        // given
        LineItem line = new LineItem(mug, 4);

        // when
        int grams = line.totalWeightGrams();

        // then
        assertEquals(1400, grams);
    }
}
