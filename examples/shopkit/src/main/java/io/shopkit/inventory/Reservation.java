package io.shopkit.inventory;

import io.shopkit.catalog.Sku;
import io.shopkit.util.Validation;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/** A temporary hold on stock, e.g. while a customer is in checkout. Immutable. */
public final class Reservation {

    private final String id;
    private final Sku sku;
    private final int quantity;
    private final Instant expiresAt;

    public Reservation(String id, Sku sku, int quantity, Instant expiresAt) {
        this.id = Validation.requireNonBlank(id, "id");
        this.sku = Objects.requireNonNull(sku, "sku");
        this.quantity = Validation.requirePositive(quantity, "quantity");
        this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
    }

    public boolean isExpired(Instant now) {
        return !now.isBefore(expiresAt);
    }

    public Reservation extend(Duration extra) {
        if (extra == null || extra.isNegative() || extra.isZero()) {
            throw new IllegalArgumentException("Extension must be a positive duration");
        }
        return new Reservation(id, sku, quantity, expiresAt.plus(extra));
    }

    public Duration remaining(Instant now) {
        if (isExpired(now)) {
            return Duration.ZERO;
        }
        return Duration.between(now, expiresAt);
    }

    public String id() {
        return id;
    }

    public Sku sku() {
        return sku;
    }

    public int quantity() {
        return quantity;
    }

    public Instant expiresAt() {
        return expiresAt;
    }
}
