package io.shopkit.catalog;

import io.shopkit.money.Money;
import io.shopkit.util.Validation;

import java.util.Objects;

/** An immutable catalog entry. Prices are gross of discounts and net of tax. */
public final class Product {

    public static final int HEAVY_THRESHOLD_GRAMS = 5_000;

    private final Sku sku;
    private final String name;
    private final Money price;
    private final String category;
    private final int weightGrams;
    private final boolean active;

    public Product(Sku sku, String name, Money price, String category, int weightGrams, boolean active) {
        this.sku = Objects.requireNonNull(sku, "sku");
        this.name = Validation.requireNonBlank(name, "name");
        this.price = Objects.requireNonNull(price, "price");
        if (price.isNegative()) {
            throw new IllegalArgumentException("price must not be negative but was " + price);
        }
        this.category = Validation.requireNonBlank(category, "category").toLowerCase();
        if (weightGrams < 0) {
            throw new IllegalArgumentException("weightGrams must not be negative but was " + weightGrams);
        }
        this.weightGrams = weightGrams;
        this.active = active;
    }

    public Product withPrice(Money newPrice) {
        Objects.requireNonNull(newPrice, "newPrice");
        if (!newPrice.currency().equals(price.currency())) {
            throw new IllegalArgumentException("Cannot change currency of " + sku + " from "
                    + price.currency() + " to " + newPrice.currency());
        }
        return new Product(sku, name, newPrice, category, weightGrams, active);
    }

    public Product deactivate() {
        if (!active) {
            throw new IllegalStateException("Product " + sku + " is already inactive");
        }
        return new Product(sku, name, price, category, weightGrams, false);
    }

    public Product activate() {
        if (active) {
            throw new IllegalStateException("Product " + sku + " is already active");
        }
        return new Product(sku, name, price, category, weightGrams, true);
    }

    public boolean isPurchasable() {
        return active && !price.isZero();
    }

    public boolean isHeavy() {
        return weightGrams >= HEAVY_THRESHOLD_GRAMS;
    }

    public Money priceFor(int quantity) {
        Validation.requirePositive(quantity, "quantity");
        return price.times(quantity);
    }

    public Sku sku() {
        return sku;
    }

    public String name() {
        return name;
    }

    public Money price() {
        return price;
    }

    public String category() {
        return category;
    }

    public int weightGrams() {
        return weightGrams;
    }

    public boolean isActive() {
        return active;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Product)) {
            return false;
        }
        Product p = (Product) o;
        return sku.equals(p.sku) && name.equals(p.name) && price.equals(p.price) && category.equals(p.category)
                && weightGrams == p.weightGrams && active == p.active;
    }

    @Override
    public int hashCode() {
        return Objects.hash(sku, name, price, category, weightGrams, active);
    }

    @Override
    public String toString() {
        return "Product[" + sku + ", " + name + ", " + price + "]";
    }
}
