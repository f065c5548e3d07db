package io.shopkit.catalog;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A stock keeping unit such as {@code MUG-1042}: an uppercase category prefix and a number. */
public final class Sku implements Comparable<Sku> {

    private static final Pattern FORMAT = Pattern.compile("([A-Z]{2,5})-(\\d{1,6})");

    private final String value;

    private Sku(String value) {
        this.value = value;
    }

    public static Sku of(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("SKU must not be blank");
        }
        String normalized = raw.trim().toUpperCase(Locale.ROOT);
        if (!FORMAT.matcher(normalized).matches()) {
            throw new IllegalArgumentException("Invalid SKU: '" + raw + "'");
        }
        return new Sku(normalized);
    }

    public static boolean isValid(String raw) {
        return raw != null && FORMAT.matcher(raw.trim().toUpperCase(Locale.ROOT)).matches();
    }

    public String prefix() {
        Matcher m = FORMAT.matcher(value);
        m.matches();
        return m.group(1);
    }

    public int number() {
        Matcher m = FORMAT.matcher(value);
        m.matches();
        return Integer.parseInt(m.group(2));
    }

    public String value() {
        return value;
    }

    @Override
    public int compareTo(Sku other) {
        int byPrefix = prefix().compareTo(other.prefix());
        return byPrefix != 0 ? byPrefix : Integer.compare(number(), other.number());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sku && ((Sku) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
