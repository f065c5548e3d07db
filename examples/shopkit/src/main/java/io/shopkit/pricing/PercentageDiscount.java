package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.cart.LineItem;
import io.shopkit.money.Money;

import java.math.BigDecimal;
import java.util.Optional;

/** Takes a percentage off the whole cart, or off the lines of a single category only. */
public class PercentageDiscount implements PricingRule {

    private final BigDecimal percent;
    private final String category;

    public PercentageDiscount(BigDecimal percent, String category) {
        if (percent == null || percent.signum() <= 0 || percent.compareTo(BigDecimal.valueOf(100)) > 0) {
            throw new IllegalArgumentException("Percent must be in (0, 100] but was " + percent);
        }
        if (category != null && category.isBlank()) {
            throw new IllegalArgumentException("category must not be blank");
        }
        this.percent = percent;
        this.category = category == null ? null : category.trim().toLowerCase();
    }

    public PercentageDiscount(BigDecimal percent) {
        this(percent, null);
    }

    @Override
    public Money discountFor(Cart cart) {
        Money base = Money.zero(cart.currency());
        for (LineItem line : cart.items()) {
            if (category == null || category.equals(line.product().category())) {
                base = base.plus(line.total());
            }
        }
        return base.percent(percent);
    }

    @Override
    public String description() {
        String pct = percent.stripTrailingZeros().toPlainString() + "% off";
        return category == null ? pct : pct + " " + category;
    }

    public Optional<String> category() {
        return Optional.ofNullable(category);
    }
}
