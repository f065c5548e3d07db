package io.shopkit.loyalty;

import java.math.BigDecimal;

/** Loyalty tiers by lifetime points, with their point multipliers. */
public enum LoyaltyTier {
    BRONZE(0, new BigDecimal("1.0")),
    SILVER(1_000, new BigDecimal("1.25")),
    GOLD(5_000, new BigDecimal("1.5"));

    private final int threshold;
    private final BigDecimal multiplier;

    LoyaltyTier(int threshold, BigDecimal multiplier) {
        this.threshold = threshold;
        this.multiplier = multiplier;
    }

    public int threshold() {
        return threshold;
    }

    public BigDecimal multiplier() {
        return multiplier;
    }
}
