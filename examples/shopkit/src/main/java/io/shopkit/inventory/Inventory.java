package io.shopkit.inventory;

import io.shopkit.catalog.Sku;
import io.shopkit.util.IdGenerator;
import io.shopkit.util.Validation;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/** Tracks on-hand stock per SKU and time-limited reservations against it. */
public class Inventory {

    public static final Duration MAX_RESERVATION = Duration.ofHours(2);

    private final Map<Sku, Integer> onHand = new HashMap<>();
    private final Map<String, Reservation> reservations = new LinkedHashMap<>();
    private final Clock clock;
    private final IdGenerator ids;

    public Inventory(Clock clock, IdGenerator ids) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ids = Objects.requireNonNull(ids, "ids");
    }

    public Inventory(Clock clock) {
        this(clock, new IdGenerator("RES"));
    }

    public void restock(Sku sku, int quantity) {
        Objects.requireNonNull(sku, "sku");
        Validation.requirePositive(quantity, "quantity");
        onHand.merge(sku, quantity, Integer::sum);
    }

    public int onHand(Sku sku) {
        return onHand.getOrDefault(sku, 0);
    }

    /** On-hand stock minus quantities held by reservations that have not expired yet. */
    public int available(Sku sku) {
        int reserved = 0;
        for (Reservation r : reservations.values()) {
            if (r.sku().equals(sku) && !r.isExpired(clock.instant())) {
                reserved += r.quantity();
            }
        }
        return onHand(sku) - reserved;
    }

    public Reservation reserve(Sku sku, int quantity, Duration ttl) {
        Objects.requireNonNull(sku, "sku");
        Validation.requirePositive(quantity, "quantity");
        if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_RESERVATION) > 0) {
            throw new IllegalArgumentException("Reservation ttl must be between 0 and " + MAX_RESERVATION);
        }
        int available = available(sku);
        if (quantity > available) {
            throw new IllegalStateException("Insufficient stock for " + sku + ": requested " + quantity
                    + ", available " + available);
        }
        Reservation reservation = new Reservation(ids.next(), sku, quantity, clock.instant().plus(ttl));
        reservations.put(reservation.id(), reservation);
        return reservation;
    }

    public boolean release(String reservationId) {
        return reservations.remove(reservationId) != null;
    }

    /** Turns a reservation into a real stock decrement (the goods leave the warehouse). */
    public void commit(String reservationId) {
        Reservation reservation = reservations.get(reservationId);
        if (reservation == null) {
            throw new NoSuchElementException("Unknown reservation: " + reservationId);
        }
        if (reservation.isExpired(clock.instant())) {
            reservations.remove(reservationId);
            throw new IllegalStateException("Reservation " + reservationId + " has expired");
        }
        reservations.remove(reservationId);
        onHand.merge(reservation.sku(), -reservation.quantity(), Integer::sum);
    }

    /** Removes expired reservations and returns how many were removed. */
    public int purgeExpired() {
        int removed = 0;
        Iterator<Reservation> it = reservations.values().iterator();
        while (it.hasNext()) {
            if (it.next().isExpired(clock.instant())) {
                it.remove();
                removed++;
            }
        }
        return removed;
    }

    public int activeReservations() {
        return reservations.size();
    }
}
