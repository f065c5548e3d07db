package io.shopkit.order;

import io.shopkit.cart.LineItem;
import io.shopkit.money.Money;

import java.util.Objects;

/** Renders an order as a plain-text invoice with right-aligned amounts. */
public class InvoiceFormatter {

    private final int width;

    public InvoiceFormatter(int width) {
        if (width < 30 || width > 120) {
            throw new IllegalArgumentException("width must be between 30 and 120 but was " + width);
        }
        this.width = width;
    }

    public InvoiceFormatter() {
        this(48);
    }

    public String formatLine(LineItem item) {
        Objects.requireNonNull(item, "item");
        String label = item.quantity() + " x " + item.product().name();
        return row(label, item.total().toString());
    }

    public String formatAmount(String label, Money amount) {
        Objects.requireNonNull(amount, "amount");
        return row(label, amount.toString());
    }

    /** Pads {@code label} and {@code value} to the invoice width, truncating the label with "..." if needed. */
    public String row(String label, String value) {
        int room = width - value.length() - 1;
        if (room < 4) {
            throw new IllegalArgumentException("Value '" + value + "' is too wide for width " + width);
        }
        String shown = label.length() > room ? label.substring(0, room - 3) + "..." : label;
        StringBuilder sb = new StringBuilder(shown);
        while (sb.length() < width - value.length()) {
            sb.append(' ');
        }
        return sb.append(value).toString();
    }

    public String format(Order order) {
        Objects.requireNonNull(order, "order");
        StringBuilder sb = new StringBuilder();
        sb.append("Invoice ").append(order.id()).append(" (").append(order.status()).append(")\n");
        sb.append("-".repeat(width)).append('\n');
        for (LineItem item : order.items()) {
            sb.append(formatLine(item)).append('\n');
        }
        sb.append("-".repeat(width)).append('\n');
        sb.append(formatAmount("Subtotal", order.subtotal())).append('\n');
        if (!order.discount().isZero()) {
            sb.append(formatAmount("Discount", order.discount().negate())).append('\n');
        }
        sb.append(formatAmount("Shipping", order.shipping())).append('\n');
        sb.append(formatAmount("Tax", order.tax())).append('\n');
        sb.append(formatAmount("Total", order.total())).append('\n');
        return sb.toString();
    }
}
