package io.shopkit.cart;

import io.shopkit.catalog.Product;
import io.shopkit.catalog.Sku;
import io.shopkit.money.Money;
import io.shopkit.util.Validation;

import java.util.Objects;

/** One product line of a cart or order. Immutable; quantity changes return a new line. */
public final class LineItem {

    public static final int MAX_QUANTITY = 99;

    private final Product product;
    private final int quantity;

    public LineItem(Product product, int quantity) {
        this.product = Objects.requireNonNull(product, "product");
        this.quantity = Validation.requireInRange(quantity, 1, MAX_QUANTITY, "quantity");
    }

    public Money total() {
        return product.price().times(quantity);
    }

    public LineItem withQuantity(int newQuantity) {
        return new LineItem(product, newQuantity);
    }

    public LineItem increaseBy(int extra) {
        Validation.requirePositive(extra, "extra");
        if (quantity + extra > MAX_QUANTITY) {
            throw new IllegalArgumentException("At most " + MAX_QUANTITY + " units of " + product.sku()
                    + " per order line");
        }
        return new LineItem(product, quantity + extra);
    }

    public int totalWeightGrams() {
        return Math.multiplyExact(product.weightGrams(), quantity);
    }

    public Sku sku() {
        return product.sku();
    }

    public Product product() {
        return product;
    }

    public Money unitPrice() {
        return product.price();
    }

    public int quantity() {
        return quantity;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LineItem && ((LineItem) o).product.equals(product) && ((LineItem) o).quantity == quantity;
    }

    @Override
    public int hashCode() {
        return Objects.hash(product, quantity);
    }

    @Override
    public String toString() {
        return quantity + " x " + product.sku();
    }
}
