package io.shopkit.util;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/** Small argument checks shared by the domain classes. All failures throw IllegalArgumentException. */
public final class Validation {

    private static final Pattern EMAIL = Pattern.compile("^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$");

    private Validation() {
    }

    public static String requireNonBlank(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value.trim();
    }

    public static int requirePositive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive but was " + value);
        }
        return value;
    }

    public static BigDecimal requireNonNegative(BigDecimal value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (value.signum() < 0) {
            throw new IllegalArgumentException(name + " must not be negative but was " + value.toPlainString());
        }
        return value;
    }

    public static int requireInRange(int value, int min, int max, String name) {
        if (min > max) {
            throw new IllegalArgumentException("Invalid range [" + min + ", " + max + "]");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    name + " must be between " + min + " and " + max + " but was " + value);
        }
        return value;
    }

    public static boolean isValidEmail(String email) {
        if (email == null || email.length() > 254) {
            return false;
        }
        return EMAIL.matcher(email).matches() && !email.contains("..");
    }

    public static String requireMatches(String value, Pattern pattern, String name) {
        String trimmed = requireNonBlank(value, name);
        if (!pattern.matcher(trimmed).matches()) {
            throw new IllegalArgumentException(name + " '" + trimmed + "' does not match " + pattern.pattern());
        }
        return trimmed;
    }
}
