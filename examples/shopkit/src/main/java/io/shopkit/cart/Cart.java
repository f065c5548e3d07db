package io.shopkit.cart;

import io.shopkit.catalog.Product;
import io.shopkit.catalog.Sku;
import io.shopkit.money.Money;
import io.shopkit.util.Validation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/** A shopping cart in a single currency. Adding the same SKU twice merges the lines. */
public class Cart {

    public static final int MAX_LINES = 50;

    private final Currency currency;
    private final Map<Sku, LineItem> lines = new LinkedHashMap<>();

    public Cart(Currency currency) {
        this.currency = Objects.requireNonNull(currency, "currency");
    }

    public LineItem addItem(Product product, int quantity) {
        Objects.requireNonNull(product, "product");
        Validation.requirePositive(quantity, "quantity");
        if (!product.price().currency().equals(currency)) {
            throw new IllegalArgumentException("Product " + product.sku() + " is priced in "
                    + product.price().currency() + " but the cart uses " + currency);
        }
        if (!product.isPurchasable()) {
            throw new IllegalStateException("Product " + product.sku() + " is not available");
        }
        LineItem existing = lines.get(product.sku());
        LineItem updated;
        if (existing == null) {
            if (lines.size() >= MAX_LINES) {
                throw new IllegalStateException("Cart cannot hold more than " + MAX_LINES + " lines");
            }
            updated = new LineItem(product, quantity);
        } else {
            updated = existing.increaseBy(quantity);
        }
        lines.put(product.sku(), updated);
        return updated;
    }

    public boolean removeItem(Sku sku) {
        return lines.remove(sku) != null;
    }

    /** Sets the quantity of an existing line; a quantity of zero removes the line. */
    public void updateQuantity(Sku sku, int quantity) {
        LineItem existing = lines.get(sku);
        if (existing == null) {
            throw new NoSuchElementException("No line for " + sku + " in cart");
        }
        if (quantity < 0) {
            throw new IllegalArgumentException("quantity must not be negative but was " + quantity);
        }
        if (quantity == 0) {
            lines.remove(sku);
        } else {
            lines.put(sku, existing.withQuantity(quantity));
        }
    }

    public Money subtotal() {
        Money sum = Money.zero(currency);
        for (LineItem line : lines.values()) {
            sum = sum.plus(line.total());
        }
        return sum;
    }

    public int itemCount() {
        int count = 0;
        for (LineItem line : lines.values()) {
            count += line.quantity();
        }
        return count;
    }

    public int totalWeightGrams() {
        int grams = 0;
        for (LineItem line : lines.values()) {
            grams += line.totalWeightGrams();
        }
        return grams;
    }

    public Optional<LineItem> findItem(Sku sku) {
        return Optional.ofNullable(lines.get(sku));
    }

    public List<LineItem> items() {
        return Collections.unmodifiableList(new ArrayList<>(lines.values()));
    }

    public boolean isEmpty() {
        return lines.isEmpty();
    }

    public void clear() {
        lines.clear();
    }

    public Currency currency() {
        return currency;
    }
}
