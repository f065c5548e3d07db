package io.shopkit.testing;

import io.shopkit.cart.LineItem;
import io.shopkit.money.Money;
import io.shopkit.order.Order;
import io.shopkit.order.OrderStatus;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** House assertions: compare money by its canonical text, check exception messages, inspect lines. */
public final class ShopAssertions {

    private ShopAssertions() {
    }

    /** {@code expected} uses the {@link Money#toString()} format, e.g. {@code "EUR 10.00"}. */
    public static void assertMoney(String expected, Money actual) {
        assertEquals(Money.parse(expected).toString(), actual == null ? null : actual.toString(),
                "money amount");
    }

    public static void assertMoney(Money expected, Money actual) {
        assertEquals(expected.toString(), actual == null ? null : actual.toString(), "money amount");
    }

    public static void assertZero(Money actual) {
        assertTrue(actual.isZero(), () -> "expected zero but was " + actual);
    }

    public static <T extends Throwable> T assertThrowsWithMessage(Class<T> type, String messageFragment,
                                                                 Executable executable) {
        T thrown = assertThrows(type, executable);
        String message = thrown.getMessage();
        assertTrue(message != null && message.contains(messageFragment),
                () -> "expected message containing '" + messageFragment + "' but was '" + message + "'");
        return thrown;
    }

    public static void assertLineItem(String expectedSku, int expectedQuantity, String expectedTotal, LineItem actual) {
        assertEquals(expectedSku, actual.sku().value(), "sku");
        assertEquals(expectedQuantity, actual.quantity(), "quantity");
        assertMoney(expectedTotal, actual.total());
    }

    public static void assertStatus(OrderStatus expected, Order order) {
        assertEquals(expected, order.status(), () -> "status of order " + order.id());
    }
}
