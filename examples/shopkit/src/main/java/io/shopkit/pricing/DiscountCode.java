package io.shopkit.pricing;

import io.shopkit.util.Validation;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/** A redeemable code (e.g. {@code SUMMER24}) that unlocks a pricing rule within a validity window. */
public class DiscountCode {

    private static final Pattern CODE = Pattern.compile("[A-Z0-9]{4,20}");

    private final String code;
    private final PricingRule rule;
    private final Instant validFrom;
    private final Instant validUntil;
    private final int maxUses;
    private int uses;

    public DiscountCode(String code, PricingRule rule, Instant validFrom, Instant validUntil, int maxUses) {
        this.code = Validation.requireMatches(code == null ? null : code.toUpperCase(Locale.ROOT), CODE, "code");
        this.rule = Objects.requireNonNull(rule, "rule");
        this.validFrom = Objects.requireNonNull(validFrom, "validFrom");
        this.validUntil = Objects.requireNonNull(validUntil, "validUntil");
        if (!validUntil.isAfter(validFrom)) {
            throw new IllegalArgumentException("validUntil must be after validFrom");
        }
        this.maxUses = Validation.requirePositive(maxUses, "maxUses");
    }

    public boolean matches(String input) {
        return input != null && code.equals(input.trim().toUpperCase(Locale.ROOT));
    }

    public boolean isValidAt(Instant now) {
        return !now.isBefore(validFrom) && now.isBefore(validUntil) && uses < maxUses;
    }

    /** Records one use of the code and returns its rule. */
    public PricingRule redeem(Instant now) {
        if (now.isBefore(validFrom)) {
            throw new IllegalStateException("Code " + code + " is not active yet");
        }
        if (!now.isBefore(validUntil)) {
            throw new IllegalStateException("Code " + code + " has expired");
        }
        if (uses >= maxUses) {
            throw new IllegalStateException("Code " + code + " has been used up");
        }
        uses++;
        return rule;
    }

    public int remainingUses() {
        return maxUses - uses;
    }

    public String code() {
        return code;
    }

    public PricingRule rule() {
        return rule;
    }
}
