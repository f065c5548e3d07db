package io.shopkit.order;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.Fixtures.anOrder;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertStatus;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OrderTest {

    @Test
    void fromCart_emptyCart_throwsIllegalState() {
        // given
        Cart cart = aCart().build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Cannot place an order for an empty cart",
                () -> Order.fromCart("ORD-1", cart, eur("0.00"), eur("0.00"), eur("0.00")));
    }

    @Test
    void fromCart_discountAboveSubtotal_throwsIllegalArgument() {
        // given
        Cart cart = aCart().withItem("MUG-1", "10.00", 1).build();

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Discount EUR 15.00 exceeds subtotal EUR 10.00",
                () -> Order.fromCart("ORD-1", cart, eur("15.00"), eur("0.00"), eur("0.00")));
    }

    @Test
    @DisplayName("an order is a snapshot: later cart changes do not leak into it")
    void fromCart_cartChangedAfterwards_orderKeepsSnapshot() {
        // given
        Cart cart = aCart().withItem("MUG-1", "10.00", 1).build();
        Order order = Order.fromCart("ORD-1", cart, eur("0.00"), eur("0.00"), eur("0.00"));

        // when
        cart.addItem(aProduct().withSku("TEA-1").build(), 3);

        // then
        assertEquals(1, order.items().size());
        assertMoney("EUR 10.00", order.subtotal());
    }

    @Test
    void total_withDiscountShippingAndTax_combinesAll() {
        // given
        Order order = anOrder().withDiscount("2.00").withShipping("4.90").withTax("3.42").build();

        // when
        Money total = order.total();

        // then
        assertMoney("EUR 26.32", total);
    }

    @Test
    void pay_exactTotal_movesToPaid() {
        // given
        Order order = anOrder().build();

        // when
        order.pay(eur("20.00"));

        // then
        assertStatus(OrderStatus.PAID, order);
    }

    @Test
    void pay_wrongAmount_throwsIllegalArgument() {
        // given
        Order order = anOrder().build();

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "does not match order total EUR 20.00",
                () -> order.pay(eur("19.99")));
    }

    @Test
    void ship_unpaidOrder_throwsIllegalState() {
        // given
        Order order = anOrder().withId("ORD-7").build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Cannot move order ORD-7 from CREATED to SHIPPED",
                () -> order.ship("TRK123"));
    }

    @Test
    void ship_paidOrder_recordsTrackingNumber() {
        // given
        Order order = anOrder().build();
        order.pay(order.total());

        // when
        order.ship(" TRK123 ");

        // then
        assertStatus(OrderStatus.SHIPPED, order);
        assertEquals("TRK123", order.trackingNumber().orElseThrow());
    }

    @Test
    void ship_blankTrackingNumber_throwsIllegalArgument() {
        // given
        Order order = anOrder().build();
        order.pay(order.total());

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "trackingNumber must not be blank",
                () -> order.ship(" "));
    }

    @Test
    void deliver_shippedOrder_movesToDelivered() {
        // given
        Order order = anOrder().build();
        order.pay(order.total());
        order.ship("TRK1");

        // when
        order.deliver();

        // then
        assertStatus(OrderStatus.DELIVERED, order);
    }

    @Test
    void cancel_createdOrder_recordsReason() {
        // given
        Order order = anOrder().build();

        // when
        order.cancel("customer changed mind");

        // then
        assertStatus(OrderStatus.CANCELLED, order);
        assertEquals("customer changed mind", order.cancellationReason().orElseThrow());
    }

    @Test
    void cancel_shippedOrder_throwsIllegalState() {
        // given
        Order order = anOrder().build();
        order.pay(order.total());
        order.ship("TRK1");

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "from SHIPPED to CANCELLED",
                () -> order.cancel("too late"));
    }

    @Test
    void refund_deliveredOrder_returnsTotal() {
        // given
        Order order = anOrder().withShipping("4.90").build();
        order.pay(order.total());
        order.ship("TRK1");
        order.deliver();

        // when
        Money refunded = order.refund();

        // then
        assertMoney("EUR 24.90", refunded);
        assertStatus(OrderStatus.REFUNDED, order);
    }

    @Test
    void history_fullLifecycle_recordsEveryStatus() {
        // given
        Order order = anOrder().build();
        order.pay(order.total());
        order.ship("TRK1");

        // when
        List<OrderStatus> history = order.history();

        // then
        assertEquals(List.of(OrderStatus.CREATED, OrderStatus.PAID, OrderStatus.SHIPPED), history);
    }

    @Test
    void itemCount_severalLines_sumsQuantities() {
        // given
        Order order = anOrder().withCart(aCart().withItem("MUG-1", "1.00", 2).withItem("TEA-1", "1.00", 5).build())
                .build();

        // when
        int count = order.itemCount();

        // then
        assertEquals(7, count);
        assertTrue(order.trackingNumber().isEmpty());
    }
}
