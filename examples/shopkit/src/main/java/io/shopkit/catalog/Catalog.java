package io.shopkit.catalog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/** An in-memory product catalog indexed by SKU, preserving insertion order. */
public class Catalog {

    private final Map<Sku, Product> products = new LinkedHashMap<>();

    public void add(Product product) {
        Objects.requireNonNull(product, "product");
        if (products.containsKey(product.sku())) {
            throw new IllegalStateException("Duplicate SKU: " + product.sku());
        }
        products.put(product.sku(), product);
    }

    public Product replace(Product product) {
        Objects.requireNonNull(product, "product");
        Product previous = products.get(product.sku());
        if (previous == null) {
            throw new NoSuchElementException("Unknown SKU: " + product.sku());
        }
        products.put(product.sku(), product);
        return previous;
    }

    public Optional<Product> find(Sku sku) {
        return Optional.ofNullable(products.get(sku));
    }

    public Product require(Sku sku) {
        Product product = products.get(sku);
        if (product == null) {
            throw new NoSuchElementException("Unknown SKU: " + sku);
        }
        return product;
    }

    public boolean remove(Sku sku) {
        return products.remove(sku) != null;
    }

    /** Case-insensitive substring search on product names; only active products are returned. */
    public List<Product> search(String query) {
        if (query == null || query.trim().length() < 2) {
            throw new IllegalArgumentException("Search query must have at least 2 characters");
        }
        String needle = query.trim().toLowerCase(Locale.ROOT);
        List<Product> hits = new ArrayList<>();
        for (Product p : products.values()) {
            if (p.isActive() && p.name().toLowerCase(Locale.ROOT).contains(needle)) {
                hits.add(p);
            }
        }
        return hits;
    }

    public List<Product> byCategory(String category) {
        if (category == null || category.isBlank()) {
            throw new IllegalArgumentException("category must not be blank");
        }
        String wanted = category.trim().toLowerCase(Locale.ROOT);
        List<Product> hits = new ArrayList<>();
        for (Product p : products.values()) {
            if (p.category().equals(wanted)) {
                hits.add(p);
            }
        }
        return hits;
    }

    public int size() {
        return products.size();
    }
}
