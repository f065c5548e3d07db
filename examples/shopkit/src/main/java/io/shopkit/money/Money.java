package io.shopkit.money;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Currency;
import java.util.List;
import java.util.Objects;

/**
 * An immutable amount of money in a single currency. Amounts are always kept at the currency's
 * default number of fraction digits, rounded half-even ("banker's rounding").
 */
public final class Money implements Comparable<Money> {

    public static final RoundingMode ROUNDING = RoundingMode.HALF_EVEN;

    private final BigDecimal amount;
    private final Currency currency;

    private Money(BigDecimal amount, Currency currency) {
        this.currency = Objects.requireNonNull(currency, "currency");
        this.amount = Objects.requireNonNull(amount, "amount")
                .setScale(currency.getDefaultFractionDigits(), ROUNDING);
    }

    public static Money of(BigDecimal amount, Currency currency) {
        return new Money(amount, currency);
    }

    public static Money of(String amount, String currencyCode) {
        if (amount == null || amount.isBlank()) {
            throw new IllegalArgumentException("Amount must not be blank");
        }
        BigDecimal value;
        try {
            value = new BigDecimal(amount.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid amount: '" + amount + "'", e);
        }
        return new Money(value, currencyOf(currencyCode));
    }

    public static Money zero(Currency currency) {
        return new Money(BigDecimal.ZERO, currency);
    }

    /** Parses the format produced by {@link #toString()}, e.g. {@code "EUR 12.50"}. */
    public static Money parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("Text must not be null");
        }
        String[] parts = text.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("Expected '<CUR> <amount>' but got '" + text + "'");
        }
        return of(parts[1], parts[0]);
    }

    private static Currency currencyOf(String code) {
        if (code == null || code.isBlank()) {
            throw new IllegalArgumentException("Currency code must not be blank");
        }
        try {
            return Currency.getInstance(code.trim().toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown currency: " + code, e);
        }
    }

    public BigDecimal amount() {
        return amount;
    }

    public Currency currency() {
        return currency;
    }

    public Money plus(Money other) {
        requireSameCurrency(other);
        return new Money(amount.add(other.amount), currency);
    }

    public Money minus(Money other) {
        requireSameCurrency(other);
        return new Money(amount.subtract(other.amount), currency);
    }

    public Money times(int factor) {
        return new Money(amount.multiply(BigDecimal.valueOf(factor)), currency);
    }

    public Money times(BigDecimal factor) {
        Objects.requireNonNull(factor, "factor");
        return new Money(amount.multiply(factor), currency);
    }

    /** Returns {@code percent}% of this amount, e.g. {@code percent(new BigDecimal("7.5"))}. */
    public Money percent(BigDecimal percent) {
        if (percent == null || percent.signum() < 0) {
            throw new IllegalArgumentException("Percent must be non-negative");
        }
        return new Money(amount.multiply(percent).divide(BigDecimal.valueOf(100), 10, ROUNDING), currency);
    }

    public Money negate() {
        return new Money(amount.negate(), currency);
    }

    public boolean isZero() {
        return amount.signum() == 0;
    }

    public boolean isNegative() {
        return amount.signum() < 0;
    }

    public boolean isGreaterThan(Money other) {
        return compareTo(other) > 0;
    }

    public Money min(Money other) {
        return compareTo(other) <= 0 ? this : other;
    }

    public Money max(Money other) {
        return compareTo(other) >= 0 ? this : other;
    }

    /**
     * Splits this amount into {@code parts} amounts that differ by at most one minor unit and add up
     * exactly to this amount. The first parts receive the extra minor units.
     */
    public List<Money> allocate(int parts) {
        if (parts <= 0) {
            throw new IllegalArgumentException("Parts must be positive but was " + parts);
        }
        if (isNegative()) {
            throw new IllegalArgumentException("Cannot allocate a negative amount");
        }
        int scale = currency.getDefaultFractionDigits();
        long minor = amount.movePointRight(scale).longValueExact();
        long base = minor / parts;
        long remainder = minor % parts;
        List<Money> result = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            long share = base + (i < remainder ? 1 : 0);
            result.add(new Money(BigDecimal.valueOf(share).movePointLeft(scale), currency));
        }
        return Collections.unmodifiableList(result);
    }

    @Override
    public int compareTo(Money other) {
        requireSameCurrency(other);
        return amount.compareTo(other.amount);
    }

    private void requireSameCurrency(Money other) {
        Objects.requireNonNull(other, "other");
        if (!currency.equals(other.currency)) {
            throw new IllegalArgumentException(
                    "Currency mismatch: " + currency.getCurrencyCode() + " vs " + other.currency.getCurrencyCode());
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Money)) {
            return false;
        }
        Money other = (Money) o;
        return currency.equals(other.currency) && amount.compareTo(other.amount) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(currency, amount.stripTrailingZeros());
    }

    @Override
    public String toString() {
        return currency.getCurrencyCode() + " " + amount.toPlainString();
    }
}
