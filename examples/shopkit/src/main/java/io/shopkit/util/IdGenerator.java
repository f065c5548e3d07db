package io.shopkit.util;

import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates human-friendly sequential ids such as {@code ORD-000042-6}: a prefix, a zero-padded
 * sequence number and a Luhn check digit that catches typos when ids are typed in by hand.
 */
public class IdGenerator {

    private static final Pattern PREFIX = Pattern.compile("[A-Z]{2,5}");

    private final String prefix;
    private final int width;
    private final AtomicLong sequence;
    private final Pattern idPattern;

    public IdGenerator(String prefix, int width, long start) {
        this.prefix = Validation.requireMatches(prefix, PREFIX, "prefix");
        this.width = Validation.requireInRange(width, 3, 12, "width");
        if (start < 0) {
            throw new IllegalArgumentException("start must not be negative but was " + start);
        }
        this.sequence = new AtomicLong(start);
        this.idPattern = Pattern.compile(this.prefix + "-(\\d{" + width + ",})-(\\d)");
    }

    public IdGenerator(String prefix) {
        this(prefix, 6, 1);
    }

    public String next() {
        long value = sequence.getAndIncrement();
        String digits = String.format("%0" + width + "d", value);
        if (digits.length() > 18) {
            throw new IllegalStateException("Sequence exhausted for prefix " + prefix);
        }
        return prefix + "-" + digits + "-" + checksum(value);
    }

    /** Luhn check digit of the decimal representation of {@code value}. */
    public static int checksum(long value) {
        if (value < 0) {
            throw new IllegalArgumentException("value must not be negative");
        }
        String digits = Long.toString(value);
        int sum = 0;
        boolean doubleIt = true;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (doubleIt) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubleIt = !doubleIt;
        }
        return (10 - sum % 10) % 10;
    }

    public boolean isValid(String id) {
        if (id == null) {
            return false;
        }
        Matcher m = idPattern.matcher(id.trim());
        if (!m.matches()) {
            return false;
        }
        long value = Long.parseLong(m.group(1));
        return checksum(value) == Integer.parseInt(m.group(2));
    }

    public long parseSequence(String id) {
        if (!isValid(id)) {
            throw new IllegalArgumentException("Not a valid " + prefix + " id: '" + id + "'");
        }
        Matcher m = idPattern.matcher(id.trim());
        m.matches();
        return Long.parseLong(m.group(1));
    }

    public String prefix() {
        return prefix;
    }
}
