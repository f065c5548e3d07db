package io.shopkit.catalog;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

import static io.shopkit.testing.Fixtures.aProduct;
import static io.shopkit.testing.Fixtures.sku;
import static io.shopkit.testing.ShopAssertions.assertMoney;
import static io.shopkit.testing.ShopAssertions.assertThrowsWithMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatalogTest {

    private Catalog catalog;

    @BeforeEach
    void setUp() {
        catalog = new Catalog();
        catalog.add(aProduct().withSku("MUG-1").withName("Blue Coffee Mug").inCategory("kitchen").build());
        catalog.add(aProduct().withSku("MUG-2").withName("Travel Mug").inCategory("Kitchen").inactive().build());
        catalog.add(aProduct().withSku("TEA-1").withName("Green Tea").inCategory("food").build());
    }

    @Test
    void add_newProduct_increasesSize() {
        // given
        Product product = aProduct().withSku("TEA-2").build();

        // when
        catalog.add(product);

        // then
        assertEquals(4, catalog.size());
    }

    @Test
    void add_duplicateSku_throwsIllegalState() {
        // given
        Product duplicate = aProduct().withSku("MUG-1").build();

        // when / then
        assertThrowsWithMessage(IllegalStateException.class, "Duplicate SKU: MUG-1", () -> catalog.add(duplicate));
    }

    @Test
    void find_unknownSku_returnsEmpty() {
        // given
        Sku unknown = sku("XYZ-9");

        // when
        Optional<Product> found = catalog.find(unknown);

        // then
        assertTrue(found.isEmpty());
    }

    @Test
    void require_knownSku_returnsProduct() {
        // given
        Sku known = sku("TEA-1");

        // when
        Product product = catalog.require(known);

        // then
        assertEquals("Green Tea", product.name());
    }

    @Test
    void require_unknownSku_throwsNoSuchElement() {
        // given
        Sku unknown = sku("XYZ-9");

        // when / then
        assertThrowsWithMessage(NoSuchElementException.class, "Unknown SKU: XYZ-9", () -> catalog.require(unknown));
    }

    @Test
    void replace_existingProduct_returnsPreviousVersion() {
        // given
        Product updated = aProduct().withSku("MUG-1").withName("Blue Coffee Mug").withPrice("12.00").build();

        // when
        Product previous = catalog.replace(updated);

        // then
        assertMoney("EUR 9.99", previous.price());
        assertMoney("EUR 12.00", catalog.require(sku("MUG-1")).price());
    }

    @Test
    void replace_unknownProduct_throwsNoSuchElement() {
        // given
        Product stranger = aProduct().withSku("XYZ-1").build();

        // when / then
        assertThrowsWithMessage(NoSuchElementException.class, "Unknown SKU: XYZ-1", () -> catalog.replace(stranger));
    }

    @Test
    void remove_missingSku_returnsFalse() {
        // given
        Sku unknown = sku("XYZ-9");

        // when
        boolean removed = catalog.remove(unknown);

        // then
        assertFalse(removed);
        assertEquals(3, catalog.size());
    }

    @Test
    void search_mixedCaseQuery_findsOnlyActiveMatches() {
        // given
        String query = "MUG";

        // when
        List<Product> hits = catalog.search(query);

        // then
        assertEquals(1, hits.size());
        assertEquals("MUG-1", hits.get(0).sku().value());
    }

    @Test
    void search_oneCharacterQuery_throwsIllegalArgument() {
        // given
        String query = " m ";

        // when / then
        assertThrowsWithMessage(IllegalArgumentException.class, "at least 2 characters", () -> catalog.search(query));
    }

    @Test
    void byCategory_differentCase_includesInactiveProducts() {
        // given
        String category = "KITCHEN";

        // when
        List<Product> products = catalog.byCategory(category);

        // then
        assertEquals(2, products.size());
    }
}
