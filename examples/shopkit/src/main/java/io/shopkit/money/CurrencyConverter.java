package io.shopkit.money;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Currency;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** Converts money between currencies using registered exchange rates (direct or inverse). */
public class CurrencyConverter {

    private final Map<String, BigDecimal> rates = new HashMap<>();

    private static String key(Currency from, Currency to) {
        return from.getCurrencyCode() + "->" + to.getCurrencyCode();
    }

    public CurrencyConverter addRate(Currency from, Currency to, BigDecimal rate) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (rate == null || rate.signum() <= 0) {
            throw new IllegalArgumentException("Exchange rate must be positive");
        }
        if (from.equals(to)) {
            throw new IllegalArgumentException("Cannot register a rate from " + from + " to itself");
        }
        rates.put(key(from, to), rate);
        return this;
    }

    public boolean hasRate(Currency from, Currency to) {
        return from.equals(to) || rates.containsKey(key(from, to)) || rates.containsKey(key(to, from));
    }

    public BigDecimal rateFor(Currency from, Currency to) {
        if (from.equals(to)) {
            return BigDecimal.ONE;
        }
        BigDecimal direct = rates.get(key(from, to));
        if (direct != null) {
            return direct;
        }
        BigDecimal inverse = rates.get(key(to, from));
        if (inverse != null) {
            return BigDecimal.ONE.divide(inverse, 10, RoundingMode.HALF_EVEN);
        }
        throw new IllegalStateException("No exchange rate for " + key(from, to));
    }

    public Money convert(Money money, Currency target) {
        Objects.requireNonNull(money, "money");
        Objects.requireNonNull(target, "target");
        if (money.currency().equals(target)) {
            return money;
        }
        return Money.of(money.amount().multiply(rateFor(money.currency(), target)), target);
    }
}
