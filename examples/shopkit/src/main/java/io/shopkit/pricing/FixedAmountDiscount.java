package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;

import java.util.Objects;

/** A fixed amount off once the subtotal reaches a minimum spend; never more than the subtotal. */
public class FixedAmountDiscount implements PricingRule {

    private final Money amount;
    private final Money minimumSpend;

    public FixedAmountDiscount(Money amount, Money minimumSpend) {
        this.amount = Objects.requireNonNull(amount, "amount");
        this.minimumSpend = Objects.requireNonNull(minimumSpend, "minimumSpend");
        if (amount.isNegative() || amount.isZero()) {
            throw new IllegalArgumentException("Discount amount must be positive");
        }
        if (!amount.currency().equals(minimumSpend.currency())) {
            throw new IllegalArgumentException("Amount and minimum spend must use the same currency");
        }
        if (minimumSpend.isNegative()) {
            throw new IllegalArgumentException("Minimum spend must not be negative");
        }
    }

    @Override
    public Money discountFor(Cart cart) {
        if (!cart.currency().equals(amount.currency())) {
            throw new IllegalArgumentException("Discount in " + amount.currency() + " cannot apply to a "
                    + cart.currency() + " cart");
        }
        Money subtotal = cart.subtotal();
        if (subtotal.compareTo(minimumSpend) < 0) {
            return Money.zero(cart.currency());
        }
        return amount.min(subtotal);
    }

    @Override
    public String description() {
        return minimumSpend.isZero() ? amount + " off" : amount + " off orders over " + minimumSpend;
    }
}
