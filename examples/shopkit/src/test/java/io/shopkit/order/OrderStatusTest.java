package io.shopkit.order;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Set;

import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrderStatusTest {

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource({
            "CREATED, PAID, true",
            "CREATED, SHIPPED, false",
            "PAID, REFUNDED, true",
            "SHIPPED, CANCELLED, false",
            "DELIVERED, REFUNDED, true",
            "CANCELLED, PAID, false"
    })
    void canTransitionTo_statusPairs_followsLifecycle(OrderStatus from, OrderStatus to, boolean expected) {
        // given
        OrderStatus current = from;

        // when
        boolean allowed = current.canTransitionTo(to);

        // then
        assertEquals(expected, allowed);
    }

    @Test
    void canTransitionTo_null_throwsIllegalArgument() {
        // given
        OrderStatus status = OrderStatus.PAID;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "target must not be null",
                () -> status.canTransitionTo(null));
    }

    @Test
    void isTerminal_cancelled_returnsTrue() {
        // given
        OrderStatus status = OrderStatus.CANCELLED;

        // when
        boolean terminal = status.isTerminal();

        // then
        assertTrue(terminal);
    }

    @Test
    void isTerminal_paid_returnsFalse() {
        // given
        OrderStatus status = OrderStatus.PAID;

        // when
        boolean terminal = status.isTerminal();

        // then
        assertFalse(terminal);
    }

    @Test
    void allowedTransitions_shipped_onlyDelivered() {
        // given
        OrderStatus status = OrderStatus.SHIPPED;

        // when
        Set<OrderStatus> next = status.allowedTransitions();

        // then
        assertEquals(Set.of(OrderStatus.DELIVERED), next);
    }

    @Test
    void parse_mixedCaseWithSpaces_returnsStatus() {
        // given
        String text = " Shipped ";

        // when
        OrderStatus status = OrderStatus.parse(text);

        // then
        assertEquals(OrderStatus.SHIPPED, status);
    }

    @Test
    void parse_unknownName_throwsIllegalArgument() {
        // given
        String text = "LOST";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Unknown order status: 'LOST'",
                () -> OrderStatus.parse(text));
    }
}
