package io.shopkit.order;

import io.shopkit.cart.LineItem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.Fixtures.anOrder;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InvoiceFormatterTest {

    private InvoiceFormatter formatter;

    @BeforeEach
    void setUp() {
        formatter = new InvoiceFormatter(30);
    }

    @Test
    void formatLine_shortName_padsToWidth() {
        // given
        LineItem item = new LineItem(aProduct().withName("Mug").withPrice("4.50").build(), 2);

        // when
        String line = formatter.formatLine(item);

        // then
        assertEquals("2 x Mug               EUR 9.00", line);
        assertEquals(30, line.length());
    }

    @Test
    void row_longLabel_isTruncatedWithEllipsis() {
        // given
        String label = "Extra large insulated travel mug";

        // when
        String row = formatter.row(label, "EUR 9.00");

        // then
        assertEquals("Extra large insula... EUR 9.00", row);
        assertEquals(30, row.length());
    }

    @Test
    void row_valueTooWide_throwsIllegalArgument() {
        // given
        String value = "EUR 1234567890123456789012.00";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "is too wide for width 30",
                () -> formatter.row("Total", value));
    }

    @Test
    void formatAmount_negativeAmount_keepsSign() {
        // given
        String label = "Discount";

        // when
        String row = formatter.formatAmount(label, eur("-2.00"));

        // then
        assertTrue(row.startsWith("Discount"));
        assertTrue(row.endsWith("EUR -2.00"));
    }

    @Test
    void format_orderWithDiscount_includesDiscountLine() {
        // given
        Order order = anOrder().withId("ORD-5").withDiscount("2.00").build();

        // when
        String invoice = formatter.format(order);

        // then
        assertTrue(invoice.startsWith("Invoice ORD-5 (CREATED)\n"));
        assertTrue(invoice.contains("EUR -2.00"));
        assertTrue(invoice.contains(formatter.formatAmount("Total", eur("18.00"))));
    }

    @Test
    void format_orderWithoutDiscount_omitsDiscountLine() {
        // given
        Order order = anOrder().build();

        // when
        String invoice = formatter.format(order);

        // then
        assertFalse(invoice.contains("Discount"));
        assertEquals(8, invoice.split("\n").length);
    }
}
