package io.shopkit.shipping;

/** Delivery options with their promised delivery time in business days. */
public enum ShippingMethod {
    STANDARD(5),
    EXPRESS(1),
    PICKUP(0);

    private final int businessDays;

    ShippingMethod(int businessDays) {
        this.businessDays = businessDays;
    }

    public int businessDays() {
        return businessDays;
    }
}
