package io.shopkit.catalog;

import io.shopkit.money.Money;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses catalog exports of the form
 * <pre>sku,name,price,currency,category,weight_grams[,active]</pre>
 * Fields may be double-quoted (a doubled quote inside a quoted field is a literal quote). Blank lines
 * and lines starting with {@code #} are ignored. The header line is mandatory.
 */
public class CsvCatalogParser {

    public static final String HEADER = "sku,name,price,currency,category,weight_grams";

    public List<Product> parse(String content) {
        if (content == null) {
            throw new IllegalArgumentException("content must not be null");
        }
        String[] lines = content.split("\\r?\\n", -1);
        List<Product> products = new ArrayList<>();
        boolean headerSeen = false;
        for (int i = 0; i < lines.length; i++) {
            int lineNumber = i + 1;
            String line = lines[i];
            if (line.isBlank() || line.trim().startsWith("#")) {
                continue;
            }
            if (!headerSeen) {
                String header = line.trim().toLowerCase();
                if (!header.equals(HEADER) && !header.equals(HEADER + ",active")) {
                    throw new CatalogParseException(lineNumber, "expected header '" + HEADER + "'");
                }
                headerSeen = true;
                continue;
            }
            products.add(toProduct(parseLine(line, lineNumber), lineNumber));
        }
        if (!headerSeen) {
            throw new CatalogParseException(1, "missing header");
        }
        return products;
    }

    /** Splits one CSV line into its fields, honouring double quotes. */
    public List<String> parseLine(String line, int lineNumber) {
        List<String> fields = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        current.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    current.append(c);
                }
            } else if (c == '"') {
                if (current.length() > 0) {
                    throw new CatalogParseException(lineNumber, "unexpected quote in field " + (fields.size() + 1));
                }
                quoted = true;
            } else if (c == ',') {
                fields.add(current.toString().trim());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            throw new CatalogParseException(lineNumber, "unterminated quoted field");
        }
        fields.add(current.toString().trim());
        return fields;
    }

    private Product toProduct(List<String> f, int lineNumber) {
        if (f.size() != 6 && f.size() != 7) {
            throw new CatalogParseException(lineNumber, "expected 6 or 7 fields but found " + f.size());
        }
        Sku sku;
        try {
            sku = Sku.of(f.get(0));
        } catch (IllegalArgumentException e) {
            throw new CatalogParseException(lineNumber, "invalid sku '" + f.get(0) + "'");
        }
        Money price;
        try {
            price = Money.of(f.get(2), f.get(3));
        } catch (IllegalArgumentException e) {
            throw new CatalogParseException(lineNumber, "invalid price '" + f.get(2) + " " + f.get(3) + "'");
        }
        int weight;
        try {
            weight = Integer.parseInt(f.get(5));
        } catch (NumberFormatException e) {
            throw new CatalogParseException(lineNumber, "invalid weight '" + f.get(5) + "'");
        }
        boolean active = true;
        if (f.size() == 7) {
            String flag = f.get(6).toLowerCase();
            if (!flag.equals("true") && !flag.equals("false")) {
                throw new CatalogParseException(lineNumber, "invalid active flag '" + f.get(6) + "'");
            }
            active = Boolean.parseBoolean(flag);
        }
        try {
            return new Product(sku, f.get(1), price, f.get(4), weight, active);
        } catch (IllegalArgumentException e) {
            throw new CatalogParseException(lineNumber, e.getMessage());
        }
    }
}
