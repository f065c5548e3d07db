package io.shopkit.shipping;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;

import java.math.BigDecimal;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Shipping cost rules: a base rate covers the first kilogram, every further started kilogram costs
 * extra, express costs 1.5x, remote regions pay a surcharge and standard shipping is free above a
 * threshold. Pickup is always free.
 */
public class ShippingCalculator {

    public static final BigDecimal EXPRESS_FACTOR = new BigDecimal("1.5");

    private final Money baseRate;
    private final Money perExtraKg;
    private final Money freeShippingThreshold;
    private final Money remoteSurcharge;
    private final Set<String> remoteRegions = new HashSet<>();

    public ShippingCalculator(Money baseRate, Money perExtraKg, Money freeShippingThreshold, Money remoteSurcharge) {
        this.baseRate = Objects.requireNonNull(baseRate, "baseRate");
        this.perExtraKg = Objects.requireNonNull(perExtraKg, "perExtraKg");
        this.freeShippingThreshold = Objects.requireNonNull(freeShippingThreshold, "freeShippingThreshold");
        this.remoteSurcharge = Objects.requireNonNull(remoteSurcharge, "remoteSurcharge");
        if (baseRate.isNegative() || perExtraKg.isNegative() || remoteSurcharge.isNegative()) {
            throw new IllegalArgumentException("Shipping rates must not be negative");
        }
        for (Money m : new Money[] {perExtraKg, freeShippingThreshold, remoteSurcharge}) {
            if (!m.currency().equals(baseRate.currency())) {
                throw new IllegalArgumentException("All shipping rates must be in " + baseRate.currency());
            }
        }
    }

    public ShippingCalculator addRemoteRegion(String region) {
        if (region == null || region.isBlank()) {
            throw new IllegalArgumentException("region must not be blank");
        }
        remoteRegions.add(region.trim().toUpperCase(Locale.ROOT));
        return this;
    }

    public boolean isRemote(String region) {
        return region != null && remoteRegions.contains(region.trim().toUpperCase(Locale.ROOT));
    }

    /** Weight-based cost before method, region and free-shipping rules. */
    public Money costForWeight(int grams) {
        if (grams < 0) {
            throw new IllegalArgumentException("grams must not be negative but was " + grams);
        }
        int extraKg = grams <= 1000 ? 0 : (grams - 1000 + 999) / 1000;
        return baseRate.plus(perExtraKg.times(extraKg));
    }

    public Money costFor(Cart cart, ShippingMethod method, String region) {
        Objects.requireNonNull(cart, "cart");
        Objects.requireNonNull(method, "method");
        if (cart.isEmpty()) {
            throw new IllegalStateException("Cannot ship an empty cart");
        }
        if (!cart.currency().equals(baseRate.currency())) {
            throw new IllegalArgumentException("Cart currency " + cart.currency() + " is not supported");
        }
        if (method == ShippingMethod.PICKUP) {
            return Money.zero(cart.currency());
        }
        boolean remote = isRemote(region);
        if (method == ShippingMethod.STANDARD && !remote && cart.subtotal().compareTo(freeShippingThreshold) >= 0) {
            return Money.zero(cart.currency());
        }
        Money cost = costForWeight(cart.totalWeightGrams());
        if (method == ShippingMethod.EXPRESS) {
            cost = cost.times(EXPRESS_FACTOR);
        }
        if (remote) {
            cost = cost.plus(remoteSurcharge);
        }
        return cost;
    }

    /** Adds the method's business days to the order date, skipping weekends. */
    public LocalDate estimateDelivery(LocalDate orderDate, ShippingMethod method) {
        Objects.requireNonNull(orderDate, "orderDate");
        Objects.requireNonNull(method, "method");
        LocalDate date = orderDate;
        int remaining = method.businessDays();
        while (remaining > 0) {
            date = date.plusDays(1);
            if (date.getDayOfWeek() != DayOfWeek.SATURDAY && date.getDayOfWeek() != DayOfWeek.SUNDAY) {
                remaining--;
            }
        }
        return date;
    }
}
