package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Applies automatic promotions to a cart. In stacking mode all rules add up; otherwise only the single
 * best rule applies. The total discount never exceeds the cart subtotal.
 */
public class PricingEngine {

    private final List<PricingRule> rules = new ArrayList<>();
    private final boolean stacking;

    public PricingEngine(boolean stacking) {
        this.stacking = stacking;
    }

    public PricingEngine addRule(PricingRule rule) {
        Objects.requireNonNull(rule, "rule");
        if (rules.contains(rule)) {
            throw new IllegalArgumentException("Rule already registered: " + rule.description());
        }
        rules.add(rule);
        return this;
    }

    public List<PricingRule> rules() {
        return Collections.unmodifiableList(rules);
    }

    public Optional<PricingRule> bestRule(Cart cart) {
        PricingRule best = null;
        Money bestDiscount = Money.zero(cart.currency());
        for (PricingRule rule : rules) {
            Money discount = rule.discountFor(cart);
            if (discount.isGreaterThan(bestDiscount)) {
                best = rule;
                bestDiscount = discount;
            }
        }
        return Optional.ofNullable(best);
    }

    public Money totalDiscount(Cart cart) {
        Objects.requireNonNull(cart, "cart");
        Money total = Money.zero(cart.currency());
        if (stacking) {
            for (PricingRule rule : rules) {
                total = total.plus(rule.discountFor(cart));
            }
        } else {
            Optional<PricingRule> best = bestRule(cart);
            if (best.isPresent()) {
                total = best.get().discountFor(cart);
            }
        }
        return total.min(cart.subtotal());
    }

    /** Automatic discount plus the discount of a redeemed code (the code is used up by this call). */
    public Money discountWithCode(Cart cart, DiscountCode code, Instant now) {
        Objects.requireNonNull(code, "code");
        if (cart.isEmpty()) {
            throw new IllegalStateException("Cannot apply a discount code to an empty cart");
        }
        Money codeDiscount = code.redeem(now).discountFor(cart);
        return totalDiscount(cart).plus(codeDiscount).min(cart.subtotal());
    }
}
