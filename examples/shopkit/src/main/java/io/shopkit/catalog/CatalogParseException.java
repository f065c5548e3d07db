package io.shopkit.catalog;

/** Thrown by {@link CsvCatalogParser} with the 1-based line number of the offending line. */
public class CatalogParseException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int lineNumber;

    public CatalogParseException(int lineNumber, String message) {
        super("Line " + lineNumber + ": " + message);
        this.lineNumber = lineNumber;
    }

    public int lineNumber() {
        return lineNumber;
    }
}
