package io.shopkit.loyalty;

import io.shopkit.money.Money;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;
import java.util.Objects;

/**
 * Points: one point per whole currency unit spent, times the tier multiplier (rounded down).
 * Redemption: in blocks of 100 points, each block worth one currency unit, minimum 500 points.
 */
public class LoyaltyProgram {

    public static final int MIN_REDEMPTION = 500;
    public static final int BLOCK = 100;

    private final Currency currency;

    public LoyaltyProgram(Currency currency) {
        this.currency = Objects.requireNonNull(currency, "currency");
    }

    public LoyaltyTier tierFor(int lifetimePoints) {
        if (lifetimePoints < 0) {
            throw new IllegalArgumentException("lifetimePoints must not be negative");
        }
        LoyaltyTier result = LoyaltyTier.BRONZE;
        for (LoyaltyTier tier : LoyaltyTier.values()) {
            if (lifetimePoints >= tier.threshold()) {
                result = tier;
            }
        }
        return result;
    }

    public int pointsFor(Money spent, LoyaltyTier tier) {
        Objects.requireNonNull(spent, "spent");
        Objects.requireNonNull(tier, "tier");
        if (!spent.currency().equals(currency)) {
            throw new IllegalArgumentException("Points are only earned on " + currency + " purchases");
        }
        if (spent.isNegative()) {
            throw new IllegalArgumentException("spent must not be negative");
        }
        BigDecimal whole = spent.amount().setScale(0, RoundingMode.DOWN);
        return whole.multiply(tier.multiplier()).setScale(0, RoundingMode.DOWN).intValueExact();
    }

    public Money redeem(int points) {
        if (points < MIN_REDEMPTION) {
            throw new IllegalArgumentException("At least " + MIN_REDEMPTION + " points are needed to redeem");
        }
        if (points % BLOCK != 0) {
            throw new IllegalArgumentException("Points must be redeemed in blocks of " + BLOCK);
        }
        return Money.of(BigDecimal.valueOf(points / BLOCK), currency);
    }

    public int pointsToNextTier(int lifetimePoints) {
        LoyaltyTier current = tierFor(lifetimePoints);
        if (current == LoyaltyTier.GOLD) {
            return 0;
        }
        LoyaltyTier next = LoyaltyTier.values()[current.ordinal() + 1];
        return next.threshold() - lifetimePoints;
    }
}
