package io.shopkit.pricing;

import io.shopkit.cart.Cart;
import io.shopkit.money.Money;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Optional;

import static io.shopkit.testing.Fixtures.NOW;
import static io.shopkit.testing.Fixtures.aCart;
import static io.shopkit.testing.Fixtures.aDiscountCode;
import static io.shopkit.testing.Fixtures.eur;
import static io.shopkit.testing.Fixtures.sku;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static io.shopkit.testing.ShopAssertions.assertZero;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PricingEngineTest {

    private Cart cart;
    private PricingRule tenPercent;
    private PricingRule threeForTwo;

    @BeforeEach
    void setUp() {
        cart = aCart().withItem("MUG-1", "10.00", 3).withItem("TEA-1", "5.00", 2).build();
        tenPercent = new PercentageDiscount(BigDecimal.TEN);
        threeForTwo = new BuyXGetYDiscount(sku("MUG-1"), 2, 1);
    }

    @Test
    void totalDiscount_noRules_returnsZero() {
        // given
        PricingEngine engine = new PricingEngine(true);

        // when
        Money discount = engine.totalDiscount(cart);

        // then
        assertZero(discount);
    }

    @Test
    void totalDiscount_stackingMode_sumsAllRules() {
        // given
        PricingEngine engine = new PricingEngine(true).addRule(tenPercent).addRule(threeForTwo);

        // when
        Money discount = engine.totalDiscount(cart);

        // then
        assertMoney("EUR 14.00", discount);
    }

    @Test
    void totalDiscount_nonStackingMode_appliesBestRuleOnly() {
        // given
        PricingEngine engine = new PricingEngine(false).addRule(tenPercent).addRule(threeForTwo);

        // when
        Money discount = engine.totalDiscount(cart);

        // then
        assertMoney("EUR 10.00", discount);
    }

    @Test
    void totalDiscount_stackedRulesExceedSubtotal_isCappedAtSubtotal() {
        // given
        PricingEngine engine = new PricingEngine(true)
                .addRule(new FixedAmountDiscount(eur("30.00"), eur("0.00")))
                .addRule(new PercentageDiscount(new BigDecimal("50")));

        // when
        Money discount = engine.totalDiscount(cart);

        // then
        assertMoney("EUR 40.00", discount);
    }

    @Test
    void bestRule_noRuleApplies_returnsEmpty() {
        // given
        PricingEngine engine = new PricingEngine(false).addRule(new BuyXGetYDiscount(sku("CUP-1"), 1, 1));

        // when
        Optional<PricingRule> best = engine.bestRule(cart);

        // then
        assertTrue(best.isEmpty());
    }

    @Test
    void bestRule_severalRules_picksLargestDiscount() {
        // given
        PricingEngine engine = new PricingEngine(false).addRule(tenPercent).addRule(threeForTwo);

        // when
        Optional<PricingRule> best = engine.bestRule(cart);

        // then
        assertSame(threeForTwo, best.orElseThrow());
    }

    @Test
    void addRule_sameRuleTwice_throwsIllegalArgument() {
        // given
        PricingEngine engine = new PricingEngine(true).addRule(tenPercent);

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "Rule already registered: 10% off",
                () -> engine.addRule(tenPercent));
    }

    @Test
    void discountWithCode_validCode_addsCodeDiscountAndConsumesCode() {
        // given
        PricingEngine engine = new PricingEngine(false).addRule(threeForTwo);
        DiscountCode code = aDiscountCode().withRule(new FixedAmountDiscount(eur("5.00"), eur("0.00"))).build();

        // when
        Money discount = engine.discountWithCode(cart, code, NOW);

        // then
        assertMoney("EUR 15.00", discount);
        assertEquals(4, code.remainingUses());
    }

    @Test
    void discountWithCode_emptyCart_throwsIllegalState() {
        // given
        PricingEngine engine = new PricingEngine(false);
        DiscountCode code = aDiscountCode().build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "empty cart",
                () -> engine.discountWithCode(aCart().build(), code, NOW));
    }
}
