package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.cart.LineItem;
import io.shopkit.catalog.Sku;
import io.shopkit.money.Money;
import io.shopkit.util.Validation;

import java.util.Objects;
import java.util.Optional;

/** "Buy X, get Y free" on one SKU: for every complete group of X+Y units, Y units are free. */
public class BuyXGetYDiscount implements PricingRule {

    private final Sku sku;
    private final int buy;
    private final int free;

    public BuyXGetYDiscount(Sku sku, int buy, int free) {
        this.sku = Objects.requireNonNull(sku, "sku");
        this.buy = Validation.requirePositive(buy, "buy");
        this.free = Validation.requirePositive(free, "free");
    }

    @Override
    public Money discountFor(Cart cart) {
        Optional<LineItem> line = cart.findItem(sku);
        if (line.isEmpty()) {
            return Money.zero(cart.currency());
        }
        return line.get().unitPrice().times(freeUnits(line.get().quantity()));
    }

    /** Number of free units for a given purchased quantity. */
    public int freeUnits(int quantity) {
        if (quantity < 0) {
            throw new IllegalArgumentException("quantity must not be negative");
        }
        return (quantity / (buy + free)) * free;
    }

    @Override
    public String description() {
        return "Buy " + buy + " get " + free + " free on " + sku;
    }
}
