package io.shopkit.inventory;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static io.shopkit.testing.Fixtures.NOW;
import static io.shopkit.testing.Fixtures.sku;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReservationTest {

    private Reservation reservation;

    @BeforeEach
    void setUp() {
        reservation = new Reservation("RES-000001-8", sku("MUG-1"), 2, NOW.plus(Duration.ofMinutes(15)));
    }

    @Test
    void isExpired_beforeExpiry_returnsFalse() {
        // given
        Instant now = NOW.plus(Duration.ofMinutes(14));

        // when
        boolean expired = reservation.isExpired(now);

        // then
        assertFalse(expired);
    }

    @Test
    void isExpired_exactlyAtExpiry_returnsTrue() {
        // given
        Instant now = reservation.expiresAt();

        // when
        boolean expired = reservation.isExpired(now);

        // then
        assertTrue(expired);
    }

    @Test
    void extend_positiveDuration_movesExpiry() {
        // given
        Duration extra = Duration.ofMinutes(10);

        // when
        Reservation extended = reservation.extend(extra);

        // then
        assertEquals(NOW.plus(Duration.ofMinutes(25)), extended.expiresAt());
        assertEquals(reservation.id(), extended.id());
    }

    @Test
    void extend_negativeDuration_throwsIllegalArgument() {
        // given
        Duration extra = Duration.ofMinutes(-1);

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Extension must be a positive duration",
                () -> reservation.extend(extra));
    }

    @Test
    void remaining_beforeExpiry_returnsTimeLeft() {
        // given
        Instant now = NOW.plus(Duration.ofMinutes(5));

        // when
        Duration left = reservation.remaining(now);

        // then
        assertEquals(Duration.ofMinutes(10), left);
    }

    @Test
    void remaining_afterExpiry_returnsZero() {
        // given
        Instant now = NOW.plus(Duration.ofHours(1));

        // when
        Duration left = reservation.remaining(now);

        // then
        assertEquals(Duration.ZERO, left);
    }
}
