package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;

/** A promotion that computes a (non-negative) discount for a cart. */
public interface PricingRule {

    Money discountFor(Cart cart);

    String description();
}
