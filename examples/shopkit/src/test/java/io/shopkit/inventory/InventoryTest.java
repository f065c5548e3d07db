package io.shopkit.inventory;

import io.shopkit.catalog.Sku;
import io.shopkit.testing.Fixtures.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.NoSuchElementException;

import static io.shopkit.testing.Fixtures.NOW;
import static io.shopkit.testing.Fixtures.aClockAt;
import static io.shopkit.testing.Fixtures.sku;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InventoryTest {

    private static final Sku MUG = sku("MUG-1");
    private static final Duration TTL = Duration.ofMinutes(15);

    private MutableClock clock;
    private Inventory inventory;

    @BeforeEach
    void setUp() {
        clock = aClockAt(NOW);
        inventory = new Inventory(clock);
        inventory.restock(MUG, 3);
    }

    @Test
    void restock_sameSkuTwice_accumulatesStock() {
        // given
        int extra = 4;

        // when
        inventory.restock(MUG, extra);

        // then
        assertEquals(7, inventory.onHand(MUG));
    }

    @Test
    void restock_zeroQuantity_throwsIllegalArgument() {
        // given
        int quantity = 0;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "quantity must be positive",
                () -> inventory.restock(MUG, quantity));
    }

    @Test
    void available_withActiveReservation_subtractsReservedUnits() {
        // given
        inventory.reserve(MUG, 2, TTL);

        // when
        int available = inventory.available(MUG);

        // then
        assertEquals(1, available);
        assertEquals(3, inventory.onHand(MUG));
    }

    @Test
    @DisplayName("expired reservations no longer block stock")
    void available_expiredReservation_isIgnored() {
        // given
        inventory.reserve(MUG, 2, TTL);
        clock.advance(TTL);

        // when
        int available = inventory.available(MUG);

        // then
        assertEquals(3, available);
    }

    @Test
    void reserve_enoughStock_returnsReservationExpiringAfterTtl() {
        // given
        int quantity = 2;

        // when
        Reservation reservation = inventory.reserve(MUG, quantity, TTL);

        // then
        assertEquals(NOW.plus(TTL), reservation.expiresAt());
        assertEquals("RES-000001-8", reservation.id());
    }

    @Test
    void reserve_moreThanAvailable_throwsIllegalState() {
        // given
        int quantity = 5;

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Insufficient stock for MUG-1: requested 5, available 3",
                () -> inventory.reserve(MUG, quantity, TTL));
    }

    @Test
    void reserve_ttlAboveMaximum_throwsIllegalArgument() {
        // given
        Duration ttl = Duration.ofHours(3);

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Reservation ttl must be between",
                () -> inventory.reserve(MUG, 1, ttl));
    }

    @Test
    void release_unknownReservation_returnsFalse() {
        // given
        String id = "RES-999999-1";

        // when
        boolean released = inventory.release(id);

        // then
        assertFalse(released);
    }

    @Test
    void release_activeReservation_restoresAvailability() {
        // given
        Reservation reservation = inventory.reserve(MUG, 3, TTL);

        // when
        boolean released = inventory.release(reservation.id());

        // then
        assertTrue(released);
        assertEquals(3, inventory.available(MUG));
    }

    @Test
    void commit_activeReservation_decrementsOnHand() {
        // given
        Reservation reservation = inventory.reserve(MUG, 2, TTL);

        // when
        inventory.commit(reservation.id());

        // then
        assertEquals(1, inventory.onHand(MUG));
        assertEquals(1, inventory.available(MUG));
        assertEquals(0, inventory.activeReservations());
    }

    @Test
    void commit_expiredReservation_throwsIllegalState() {
        // given
        Reservation reservation = inventory.reserve(MUG, 2, TTL);
        clock.advance(Duration.ofMinutes(20));

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "has expired", () -> inventory.commit(reservation.id()));
    }

    @Test
    void commit_unknownReservation_throwsNoSuchElement() {
        // given
        String id = "RES-000042-4";

        // when / then
        assertThrowsWithMessage(NoSuchElementException.class, "Unknown reservation: RES-000042-4",
                () -> inventory.commit(id));
    }

    @Test
    void purgeExpired_mixedReservations_removesOnlyExpired() {
        // given
        inventory.reserve(MUG, 1, Duration.ofMinutes(5));
        inventory.reserve(MUG, 1, Duration.ofMinutes(30));
        clock.advance(Duration.ofMinutes(10));

        // when
        int removed = inventory.purgeExpired();

        // then
        assertEquals(1, removed);
        assertEquals(1, inventory.activeReservations());
    }
}
