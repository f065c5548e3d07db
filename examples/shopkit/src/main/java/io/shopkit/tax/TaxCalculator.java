package io.shopkit.tax;

import io.shopkit.cart.Cart;
import io.shopkit.cart.LineItem;
import io.shopkit.money.Money;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Computes sales tax / VAT per region (ISO country code, optionally with a subdivision such as
 * {@code US-CA}). Categories can be exempted per region, or taxed at a reduced rate.
 */
public class TaxCalculator {

    private static final Pattern REGION = Pattern.compile("[A-Z]{2}(-[A-Z0-9]{1,3})?");
    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    private final Map<String, BigDecimal> standardRates = new HashMap<>();
    private final Map<String, Map<String, BigDecimal>> reducedRates = new HashMap<>();
    private final Map<String, Set<String>> exemptions = new HashMap<>();

    public static TaxCalculator europeanDefaults() {
        TaxCalculator calculator = new TaxCalculator();
        calculator.registerRegion("DE", new BigDecimal("19"));
        calculator.registerRegion("FR", new BigDecimal("20"));
        calculator.registerRegion("NL", new BigDecimal("21"));
        calculator.reducedRate("DE", "books", new BigDecimal("7"));
        calculator.reducedRate("FR", "books", new BigDecimal("5.5"));
        return calculator;
    }

    private static String normalize(String region) {
        if (region == null) {
            throw new IllegalArgumentException("region must not be null");
        }
        String code = region.trim().toUpperCase(Locale.ROOT);
        if (!REGION.matcher(code).matches()) {
            throw new IllegalArgumentException("Invalid region code: '" + region + "'");
        }
        return code;
    }

    private static BigDecimal checkRate(BigDecimal rate) {
        if (rate == null || rate.signum() < 0 || rate.compareTo(HUNDRED) > 0) {
            throw new IllegalArgumentException("Tax rate must be between 0 and 100 but was " + rate);
        }
        return rate;
    }

    public void registerRegion(String region, BigDecimal ratePercent) {
        standardRates.put(normalize(region), checkRate(ratePercent));
    }

    public void reducedRate(String region, String category, BigDecimal ratePercent) {
        String code = requireKnown(region);
        reducedRates.computeIfAbsent(code, k -> new HashMap<>())
                .put(category.trim().toLowerCase(Locale.ROOT), checkRate(ratePercent));
    }

    public void exempt(String region, String category) {
        String code = requireKnown(region);
        exemptions.computeIfAbsent(code, k -> new HashSet<>()).add(category.trim().toLowerCase(Locale.ROOT));
    }

    public boolean isExempt(String region, String category) {
        String code = requireKnown(region);
        return exemptions.getOrDefault(code, Set.of()).contains(category.trim().toLowerCase(Locale.ROOT));
    }

    /**
     * The rate that applies to a category in a region. A subdivision without its own rate
     * (e.g. {@code US-NY} when only {@code US} is registered) falls back to its country.
     */
    public BigDecimal rateFor(String region, String category) {
        String code = requireKnown(region);
        if (category != null) {
            String cat = category.trim().toLowerCase(Locale.ROOT);
            if (exemptions.getOrDefault(code, Set.of()).contains(cat)) {
                return BigDecimal.ZERO;
            }
            BigDecimal reduced = reducedRates.getOrDefault(code, Map.of()).get(cat);
            if (reduced != null) {
                return reduced;
            }
        }
        return standardRates.get(code);
    }

    public Money taxForItem(LineItem item, String region) {
        Objects.requireNonNull(item, "item");
        return item.total().percent(rateFor(region, item.product().category()));
    }

    public Money taxForCart(Cart cart, String region) {
        Objects.requireNonNull(cart, "cart");
        Money tax = Money.zero(cart.currency());
        for (LineItem item : cart.items()) {
            tax = tax.plus(taxForItem(item, region));
        }
        return tax;
    }

    public Money grossPrice(Money net, String region) {
        Objects.requireNonNull(net, "net");
        return net.plus(net.percent(rateFor(region, null)));
    }

    private String requireKnown(String region) {
        String code = normalize(region);
        if (standardRates.containsKey(code)) {
            return code;
        }
        int dash = code.indexOf('-');
        if (dash > 0 && standardRates.containsKey(code.substring(0, dash))) {
            return code.substring(0, dash);
        }
        throw new IllegalArgumentException("Unknown tax region: " + code);
    }
}
