package io.shopkit.catalog;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class CsvCatalogParserTest {

    private static final String HEADER = "sku,name,price,currency,category,weight_grams\n";

    private CsvCatalogParser parser;

    @BeforeEach
    void setUp() {
        parser = new CsvCatalogParser();
    }

    @Test
    void parse_validFile_returnsProductsInOrder() {
        // given
        String csv = HEADER + "MUG-1,Coffee Mug,9.99,EUR,kitchen,350\nTEA-1,Green Tea,4.50,EUR,food,100\n";

        // when
        List<Product> products = parser.parse(csv);

        // then
        assertEquals(2, products.size());
        assertEquals("MUG-1", products.get(0).sku().value());
        assertMoney("EUR 4.50", products.get(1).price());
    }

    @Test
    @DisplayName("quoted names may contain commas")
    void parse_quotedNameWithComma_keepsComma() {
        // given
        String csv = HEADER + "MUG-1,\"Mug, large\",9.99,EUR,kitchen,350";

        // when
        List<Product> products = parser.parse(csv);

        // then
        assertEquals("Mug, large", products.get(0).name());
    }

    @Test
    void parse_commentsAndBlankLines_areIgnored() {
        // given
        String csv = "# exported 2024-06-01\n\n" + HEADER + "\n# kitchen\nMUG-1,Mug,9.99,EUR,kitchen,350\n\n";

        // when
        List<Product> products = parser.parse(csv);

        // then
        assertEquals(1, products.size());
    }

    @Test
    void parse_wrongHeader_throwsCatalogParseException() {
        // given
        String csv = "id,title,price\nMUG-1,Mug,9.99";

        // when / then
        assertThrowsWithMessage(CatalogParseException.class, "Line 1: expected header", () -> parser.parse(csv));
    }

    @Test
    void parse_onlyComments_throwsMissingHeader() {
        // given
        String csv = "# nothing here\n";

        // when / then
        assertThrowsWithMessage(CatalogParseException.class, "missing header", () -> parser.parse(csv));
    }

    @Test
    void parse_invalidPrice_reportsLineNumber() {
        // given
        String csv = HEADER + "MUG-1,Mug,9.99,EUR,kitchen,350\nMUG-2,Mug,abc,EUR,kitchen,350\n";

        // when
        CatalogParseException e = assertThrowsWithMessage(CatalogParseException.class, "invalid price 'abc EUR'",
                () -> parser.parse(csv));

        // then
        assertEquals(3, e.lineNumber());
    }

    @Test
    void parse_missingField_throwsCatalogParseException() {
        // given
        String csv = HEADER + "MUG-1,Mug,9.99,EUR,kitchen";

        // when / then
        assertThrowsWithMessage(CatalogParseException.class, "Line 2: expected 6 or 7 fields but found 5",
                () -> parser.parse(csv));
    }

    @Test
    void parse_activeColumnFalse_createsInactiveProduct() {
        // given
        String csv = HEADER.trim() + ",active\nMUG-1,Mug,9.99,EUR,kitchen,350,false\n";

        // when
        List<Product> products = parser.parse(csv);

        // then
        assertFalse(products.get(0).isActive());
    }

    @Test
    void parse_invalidActiveFlag_throwsCatalogParseException() {
        // given
        String csv = HEADER + "MUG-1,Mug,9.99,EUR,kitchen,350,yes\n";

        // when / then
        assertThrowsWithMessage(CatalogParseException.class, "invalid active flag 'yes'", () -> parser.parse(csv));
    }

    @Test
    void parseLine_doubledQuoteInsideQuotes_unescapesQuote() {
        // given
        String line = "MUG-1,\"The \"\"Best\"\" Mug\",9.99";

        // when
        List<String> fields = parser.parseLine(line, 7);

        // then
        assertEquals(List.of("MUG-1", "The \"Best\" Mug", "9.99"), fields);
    }

    @Test
    void parseLine_unterminatedQuote_throwsCatalogParseException() {
        // given
        String line = "MUG-1,\"Mug,9.99";

        // when / then
        assertThrowsWithMessage(CatalogParseException.class, "Line 7: unterminated quoted field",
                () -> parser.parseLine(line, 7));
    }
}
