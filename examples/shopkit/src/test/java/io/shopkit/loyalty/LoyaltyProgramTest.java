package io.shopkit.loyalty;

import io.shopkit.money.Money;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.shopkit.testing.Fixtures.EUR;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.Fixtures.usd;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LoyaltyProgramTest {

    private LoyaltyProgram program;

    @BeforeEach
    void setUp() {
        program = new LoyaltyProgram(EUR);
    }

    @ParameterizedTest(name = "{0} points -> {1}")
    @CsvSource({"0, BRONZE", "999, BRONZE", "1000, SILVER", "4999, SILVER", "5000, GOLD"})
    void tierFor_lifetimePoints_picksHighestReachedTier(int points, LoyaltyTier expected) {
        // given
        int lifetime = points;

        // when
        LoyaltyTier tier = program.tierFor(lifetime);

        // then
        assertEquals(expected, tier);
    }

    @Test
    void tierFor_negativePoints_throwsIllegalArgument() {
        // given
        int points = -1;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "lifetimePoints must not be negative",
                () -> program.tierFor(points));
    }

    @Test
    void pointsFor_bronze_countsWholeUnitsOnly() {
        // given
        Money spent = eur("99.99");

        // when
        int points = program.pointsFor(spent, LoyaltyTier.BRONZE);

        // then
        assertEquals(99, points);
    }

    @Test
    void pointsFor_gold_appliesMultiplierAndRoundsDown() {
        // given
        Money spent = eur("99.99");

        // when
        int points = program.pointsFor(spent, LoyaltyTier.GOLD);

        // then
        assertEquals(148, points);
    }

    @Test
    void pointsFor_otherCurrency_throwsIllegalArgument() {
        // given
        Money spent = usd("10.00");

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Points are only earned on EUR purchases",
                () -> program.pointsFor(spent, LoyaltyTier.SILVER));
    }

    @Test
    void redeem_wholeBlocks_returnsMoneyValue() {
        // given
        int points = 700;

        // when
        Money value = program.redeem(points);

        // then
        assertMoney("EUR 7.00", value);
    }

    @Test
    void redeem_belowMinimum_throwsIllegalArgument() {
        // given
        int points = 400;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "At least 500 points", () -> program.redeem(points));
    }

    @Test
    void redeem_partialBlock_throwsIllegalArgument() {
        // given
        int points = 550;

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "blocks of 100", () -> program.redeem(points));
    }

    @Test
    void pointsToNextTier_silverMember_returnsDistanceToGold() {
        // given
        int points = 1200;

        // when
        int missing = program.pointsToNextTier(points);

        // then
        assertEquals(3800, missing);
    }

    @Test
    void pointsToNextTier_goldMember_returnsZero() {
        // given
        int points = 8000;

        // when
        int missing = program.pointsToNextTier(points);

        // then
        assertEquals(0, missing);
    }
}
