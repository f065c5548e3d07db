package io.shopkit;

import io.shopkit.cart.Cart;
import io.shopkit.catalog.Catalog;
import io.shopkit.catalog.CsvCatalogParser;
import io.shopkit.catalog.Product;
import io.shopkit.inventory.Inventory;
import io.shopkit.inventory.Reservation;
import io.shopkit.loyalty.LoyaltyProgram;
import io.shopkit.loyalty.LoyaltyTier;
import io.shopkit.money.CurrencyConverter;
import io.shopkit.money.Money;
import io.shopkit.order.InvoiceFormatter;
import io.shopkit.order.Order;
import io.shopkit.order.OrderStatus;
import io.shopkit.pricing.BuyXGetYDiscount;
import io.shopkit.pricing.DiscountCode;
import io.shopkit.pricing.FixedAmountDiscount;
import io.shopkit.pricing.PercentageDiscount;
import io.shopkit.pricing.PricingEngine;
import io.shopkit.shipping.ShippingCalculator;
import io.shopkit.shipping.ShippingMethod;
import io.shopkit.tax.TaxCalculator;
import io.shopkit.testing.Fixtures.MutableClock;
import io.shopkit.util.IdGenerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;

import static io.shopkit.testing.Fixtures.EUR;
import static io.shopkit.testing.Fixtures.NOW;
import static io.shopkit.testing.Fixtures.USD;
import static io.shopkit.testing.Fixtures.aClockAt;
import static io.shopkit.testing.Fixtures.aDiscountCode;
import static io.shopkit.testing.Fixtures.aShippingCalculator;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.Fixtures.sku;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertStatus;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end scenarios spanning several classes; these deliberately have no single focal method. */
class ShopIntegrationTest {

    private static final String CATALOG_CSV = String.join("\n",
            "sku,name,price,currency,category,weight_grams",
            "MUG-1,Coffee Mug,12.00,EUR,kitchen,400",
            "BOOK-1,\"Java, the Good Parts\",30.00,EUR,books,900",
            "TEA-1,Green Tea,4.00,EUR,food,120");

    private Catalog catalog;
    private MutableClock clock;
    private Inventory inventory;
    private TaxCalculator taxes;
    private ShippingCalculator shipping;

    @BeforeEach
    void setUp() {
        catalog = new Catalog();
        new CsvCatalogParser().parse(CATALOG_CSV).forEach(catalog::add);
        clock = aClockAt(NOW);
        inventory = new Inventory(clock);
        inventory.restock(sku("MUG-1"), 10);
        inventory.restock(sku("BOOK-1"), 2);
        taxes = TaxCalculator.europeanDefaults();
        shipping = aShippingCalculator();
    }

    private Cart cartWith(String sku, int quantity) {
        Cart cart = new Cart(EUR);
        cart.addItem(catalog.require(sku(sku)), quantity);
        return cart;
    }

    @Test
    @DisplayName("checkout: catalog -> cart -> discounts -> shipping -> tax -> paid order")
    void checkout_happyPath_producesPaidOrder() {
        // given
        Cart cart = cartWith("MUG-1", 3);
        cart.addItem(catalog.require(sku("BOOK-1")), 1);
        PricingEngine engine = new PricingEngine(false).addRule(new BuyXGetYDiscount(sku("MUG-1"), 2, 1));

        // when
        Money discount = engine.totalDiscount(cart);
        Money shippingCost = shipping.costFor(cart, ShippingMethod.STANDARD, "DE");
        Money tax = taxes.taxForCart(cart, "DE");
        Order order = Order.fromCart(new IdGenerator("ORD").next(), cart, discount, shippingCost, tax);
        order.pay(order.total());

        // then
        assertMoney("EUR 12.00", discount);
        assertMoney("EUR 0.00", shippingCost);
        assertMoney("EUR 8.94", tax);
        assertMoney("EUR 62.94", order.total());
        assertStatus(OrderStatus.PAID, order);
    }

    @Test
    void checkout_reservationCommittedOnPayment_reducesStock() {
        // given
        Reservation reservation = inventory.reserve(sku("BOOK-1"), 2, Duration.ofMinutes(15));
        Order order = Order.fromCart("ORD-1", cartWith("BOOK-1", 2), eur("0.00"), eur("4.90"), eur("0.00"));

        // when
        order.pay(eur("64.90"));
        inventory.commit(reservation.id());

        // then
        assertEquals(0, inventory.onHand(sku("BOOK-1")));
        assertThrowsWithMessage(IllegalStateException.class, "Insufficient stock",
                () -> inventory.reserve(sku("BOOK-1"), 1, Duration.ofMinutes(5)));
    }

    @Test
    void checkout_abandonedCheckout_releasesStockAfterExpiry() {
        // given
        inventory.reserve(sku("BOOK-1"), 2, Duration.ofMinutes(15));
        clock.advance(Duration.ofMinutes(30));

        // when
        int purged = inventory.purgeExpired();

        // then
        assertEquals(1, purged);
        assertEquals(2, inventory.available(sku("BOOK-1")));
    }

    @Test
    void checkout_discountCodeOnTopOfPromotion_isCappedAtSubtotal() {
        // given
        Cart cart = cartWith("TEA-1", 2);
        PricingEngine engine = new PricingEngine(true).addRule(new PercentageDiscount(new BigDecimal("50")));
        DiscountCode code = aDiscountCode().withRule(new FixedAmountDiscount(eur("10.00"), eur("0.00"))).build();

        // when
        Money discount = engine.discountWithCode(cart, code, NOW);

        // then
        assertMoney("EUR 8.00", discount);
    }

    @Test
    void checkout_cancelledAfterPayment_cannotBeShipped() {
        // given
        Order order = Order.fromCart("ORD-2", cartWith("MUG-1", 1), eur("0.00"), eur("0.00"), eur("0.00"));
        order.pay(eur("12.00"));
        order.cancel("payment flagged as fraud");

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "from CANCELLED to SHIPPED", () -> order.ship("TRK9"));
        assertTrue(order.status().isTerminal());
    }

    @Test
    void checkout_invoiceForPaidOrder_listsEveryLine() {
        // given
        Cart cart = cartWith("MUG-1", 2);
        cart.addItem(catalog.require(sku("BOOK-1")), 1);
        Order order = Order.fromCart("ORD-3", cart, eur("5.00"), eur("0.00"), taxes.taxForCart(cart, "FR"));
        order.pay(order.total());

        // when
        String invoice = new InvoiceFormatter().format(order);

        // then
        assertTrue(invoice.contains("2 x Coffee Mug"));
        assertTrue(invoice.contains("1 x Java, the Good Parts"));
        assertTrue(invoice.contains("(PAID)"));
    }

    @Test
    void checkout_loyaltyPointsForDeliveredOrder_dependOnTier() {
        // given
        Order order = Order.fromCart("ORD-4", cartWith("BOOK-1", 2), eur("0.00"), eur("0.00"), eur("0.00"));
        LoyaltyProgram loyalty = new LoyaltyProgram(EUR);

        // when
        int points = loyalty.pointsFor(order.total(), loyalty.tierFor(1500));

        // then
        assertEquals(LoyaltyTier.SILVER, loyalty.tierFor(1500));
        assertEquals(75, points);
    }

    @Test
    void checkout_priceShownInDollars_convertsCartSubtotal() {
        // given
        Cart cart = cartWith("MUG-1", 2);
        CurrencyConverter converter = new CurrencyConverter().addRate(EUR, USD, new BigDecimal("1.0850"));

        // when
        Money inDollars = converter.convert(cart.subtotal(), USD);

        // then
        assertMoney("USD 26.04", inDollars);
    }

    @Test
    void catalog_searchAfterCsvImport_findsQuotedNames() {
        // given
        String query = "good parts";

        // when
        Product hit = catalog.search(query).get(0);

        // then
        assertEquals("BOOK-1", hit.sku().value());
        assertMoney("EUR 30.00", hit.price());
    }
}
