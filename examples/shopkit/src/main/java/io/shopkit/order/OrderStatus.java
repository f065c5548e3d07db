package io.shopkit.order;

import java.util.EnumSet;
import java.util.Set;

/** Lifecycle of an order. CANCELLED and REFUNDED are terminal. */
public enum OrderStatus {
    CREATED,
    PAID,
    SHIPPED,
    DELIVERED,
    CANCELLED,
    REFUNDED;

    public Set<OrderStatus> allowedTransitions() {
        switch (this) {
            case CREATED:
                return EnumSet.of(PAID, CANCELLED);
            case PAID:
                return EnumSet.of(SHIPPED, CANCELLED, REFUNDED);
            case SHIPPED:
                return EnumSet.of(DELIVERED);
            case DELIVERED:
                return EnumSet.of(REFUNDED);
            default:
                return EnumSet.noneOf(OrderStatus.class);
        }
    }

    public boolean canTransitionTo(OrderStatus target) {
        if (target == null) {
            throw new IllegalArgumentException("target must not be null");
        }
        return allowedTransitions().contains(target);
    }

    public boolean isTerminal() {
        return allowedTransitions().isEmpty();
    }

    /** Parses a status name case-insensitively, e.g. from a CSV export. */
    public static OrderStatus parse(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("status must not be blank");
        }
        for (OrderStatus status : values()) {
            if (status.name().equalsIgnoreCase(name.trim())) {
                return status;
            }
        }
        throw new IllegalArgumentException("Unknown order status: '" + name + "'");
    }
}
