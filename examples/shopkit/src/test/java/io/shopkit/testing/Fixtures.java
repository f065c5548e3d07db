package io.shopkit.testing;

import io.shopkit.cart.Cart;
import io.shopkit.catalog.Product;
import io.shopkit.catalog.Sku;
import io.shopkit.money.Money;
import io.shopkit.order.Order;
import io.shopkit.pricing.DiscountCode;
import io.shopkit.pricing.PercentageDiscount;
import io.shopkit.pricing.PricingRule;
import io.shopkit.shipping.ShippingCalculator;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;

/** Test data builders. Every builder starts from sensible defaults; override only what a test cares about. */
public final class Fixtures {

    public static final Instant NOW = Instant.parse("2024-06-01T10:00:00Z");
    public static final Currency EUR = Currency.getInstance("EUR");
    public static final Currency USD = Currency.getInstance("USD");

    private Fixtures() {
    }

    public static Money eur(String amount) {
        return Money.of(amount, "EUR");
    }

    public static Money usd(String amount) {
        return Money.of(amount, "USD");
    }

    public static Sku sku(String value) {
        return Sku.of(value);
    }

    public static ProductBuilder aProduct() {
        return new ProductBuilder();
    }

    public static CartBuilder aCart() {
        return new CartBuilder();
    }

    public static DiscountCodeBuilder aDiscountCode() {
        return new DiscountCodeBuilder();
    }

    public static OrderBuilder anOrder() {
        return new OrderBuilder();
    }

    public static MutableClock aClockAt(Instant instant) {
        return new MutableClock(instant);
    }

    /** Base 4.90 EUR for the first kg, 1.50 per extra kg, free standard shipping from 50.00, +10.00 to IS. */
    public static ShippingCalculator aShippingCalculator() {
        return new ShippingCalculator(eur("4.90"), eur("1.50"), eur("50.00"), eur("10.00")).addRemoteRegion("IS");
    }

    public static final class ProductBuilder {
        private String sku = "SKU-1";
        private String name = "Widget";
        private Money price = eur("9.99");
        private String category = "gadgets";
        private int weightGrams = 500;
        private boolean active = true;

        public ProductBuilder withSku(String sku) {
            this.sku = sku;
            return this;
        }

        public ProductBuilder withName(String name) {
            this.name = name;
            return this;
        }

        public ProductBuilder withPrice(String amount) {
            this.price = Money.of(amount, price.currency().getCurrencyCode());
            return this;
        }

        public ProductBuilder withPrice(Money price) {
            this.price = price;
            return this;
        }

        public ProductBuilder inCategory(String category) {
            this.category = category;
            return this;
        }

        public ProductBuilder weighing(int grams) {
            this.weightGrams = grams;
            return this;
        }

        public ProductBuilder inactive() {
            this.active = false;
            return this;
        }

        public Product build() {
            return new Product(Sku.of(sku), name, price, category, weightGrams, active);
        }
    }

    public static final class CartBuilder {
        private Currency currency = EUR;
        private final List<Product> products = new ArrayList<>();
        private final List<Integer> quantities = new ArrayList<>();

        public CartBuilder inCurrency(String code) {
            this.currency = Currency.getInstance(code);
            return this;
        }

        public CartBuilder with(Product product, int quantity) {
            products.add(product);
            quantities.add(quantity);
            return this;
        }

        public CartBuilder withItem(String sku, String price, int quantity) {
            return with(aProduct().withSku(sku).withPrice(Money.of(price, currency.getCurrencyCode())).build(), quantity);
        }

        public Cart build() {
            Cart cart = new Cart(currency);
            for (int i = 0; i < products.size(); i++) {
                cart.addItem(products.get(i), quantities.get(i));
            }
            return cart;
        }
    }

    public static final class DiscountCodeBuilder {
        private String code = "SAVE10";
        private PricingRule rule = new PercentageDiscount(BigDecimal.TEN);
        private Instant validFrom = NOW.minus(Duration.ofDays(1));
        private Instant validUntil = NOW.plus(Duration.ofDays(30));
        private int maxUses = 5;

        public DiscountCodeBuilder withCode(String code) {
            this.code = code;
            return this;
        }

        public DiscountCodeBuilder withRule(PricingRule rule) {
            this.rule = rule;
            return this;
        }

        public DiscountCodeBuilder validBetween(Instant from, Instant until) {
            this.validFrom = from;
            this.validUntil = until;
            return this;
        }

        public DiscountCodeBuilder withMaxUses(int maxUses) {
            this.maxUses = maxUses;
            return this;
        }

        public DiscountCode build() {
            return new DiscountCode(code, rule, validFrom, validUntil, maxUses);
        }
    }

    public static final class OrderBuilder {
        private String id = "ORD-1";
        private Cart cart;
        private Money discount = eur("0.00");
        private Money shipping = eur("0.00");
        private Money tax = eur("0.00");

        public OrderBuilder withId(String id) {
            this.id = id;
            return this;
        }

        public OrderBuilder withCart(Cart cart) {
            this.cart = cart;
            return this;
        }

        public OrderBuilder withDiscount(String amount) {
            this.discount = eur(amount);
            return this;
        }

        public OrderBuilder withShipping(String amount) {
            this.shipping = eur(amount);
            return this;
        }

        public OrderBuilder withTax(String amount) {
            this.tax = eur(amount);
            return this;
        }

        public Order build() {
            Cart source = cart != null ? cart : aCart().withItem("SKU-1", "10.00", 2).build();
            return Order.fromCart(id, source, discount, shipping, tax);
        }
    }

    /** A clock that tests can move forward explicitly. */
    public static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        public void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
