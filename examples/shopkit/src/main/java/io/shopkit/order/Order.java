package io.shopkit.order;

import io.shopkit.cart.Cart;
import io.shopkit.cart.LineItem;
import io.shopkit.money.Money;
import io.shopkit.util.Validation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A placed order: a snapshot of the cart plus the money breakdown and a status state machine. */
public class Order {

    private final String id;
    private final List<LineItem> items;
    private final Money subtotal;
    private final Money discount;
    private final Money shipping;
    private final Money tax;
    private final List<OrderStatus> history = new ArrayList<>();
    private OrderStatus status = OrderStatus.CREATED;
    private String trackingNumber;
    private String cancellationReason;

    private Order(String id, List<LineItem> items, Money subtotal, Money discount, Money shipping, Money tax) {
        this.id = id;
        this.items = items;
        this.subtotal = subtotal;
        this.discount = discount;
        this.shipping = shipping;
        this.tax = tax;
        history.add(OrderStatus.CREATED);
    }

    public static Order fromCart(String id, Cart cart, Money discount, Money shipping, Money tax) {
        Validation.requireNonBlank(id, "id");
        Objects.requireNonNull(cart, "cart");
        if (cart.isEmpty()) {
            throw new IllegalStateException("Cannot place an order for an empty cart");
        }
        Money subtotal = cart.subtotal();
        for (Money m : List.of(discount, shipping, tax)) {
            if (m.isNegative()) {
                throw new IllegalArgumentException("Amounts must not be negative but got " + m);
            }
        }
        if (discount.isGreaterThan(subtotal)) {
            throw new IllegalArgumentException("Discount " + discount + " exceeds subtotal " + subtotal);
        }
        return new Order(id.trim(), List.copyOf(cart.items()), subtotal, discount, shipping, tax);
    }

    public Money total() {
        return subtotal.minus(discount).plus(shipping).plus(tax);
    }

    public void pay(Money amount) {
        Objects.requireNonNull(amount, "amount");
        if (!amount.equals(total())) {
            throw new IllegalArgumentException("Payment of " + amount + " does not match order total " + total());
        }
        transitionTo(OrderStatus.PAID);
    }

    public void ship(String tracking) {
        String number = Validation.requireNonBlank(tracking, "trackingNumber");
        transitionTo(OrderStatus.SHIPPED);
        this.trackingNumber = number;
    }

    public void deliver() {
        transitionTo(OrderStatus.DELIVERED);
    }

    public void cancel(String reason) {
        String why = Validation.requireNonBlank(reason, "reason");
        transitionTo(OrderStatus.CANCELLED);
        this.cancellationReason = why;
    }

    /** Refunds a paid or delivered order and returns the amount to pay back. */
    public Money refund() {
        transitionTo(OrderStatus.REFUNDED);
        return total();
    }

    private void transitionTo(OrderStatus target) {
        if (!status.canTransitionTo(target)) {
            throw new IllegalStateException("Cannot move order " + id + " from " + status + " to " + target);
        }
        status = target;
        history.add(target);
    }

    public int itemCount() {
        int count = 0;
        for (LineItem item : items) {
            count += item.quantity();
        }
        return count;
    }

    public String id() {
        return id;
    }

    public OrderStatus status() {
        return status;
    }

    public List<OrderStatus> history() {
        return Collections.unmodifiableList(history);
    }

    public List<LineItem> items() {
        return items;
    }

    public Optional<String> trackingNumber() {
        return Optional.ofNullable(trackingNumber);
    }

    public Optional<String> cancellationReason() {
        return Optional.ofNullable(cancellationReason);
    }

    public Money subtotal() {
        return subtotal;
    }

    public Money discount() {
        return discount;
    }

    public Money shipping() {
        return shipping;
    }

    public Money tax() {
        return tax;
    }
}
