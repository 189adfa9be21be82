@testable import StorefrontSimulator
import Testing

/// The simulator's `inventorySetQuantities`: compare-and-set, all or nothing, idempotent replays, Shopify's codes.
@Suite struct SimulatorInventoryTests {
    func shop() -> SimulatedShop {
        var shop = SimulatedShop(domain: "sim.myshopify.com", accessToken: "t", webhookSecret: "s")
        shop.levels[.init(item: 1, location: 10)] = 5
        shop.levels[.init(item: 2, location: 10)] = 0
        return shop
    }

    typealias Q = InventorySetQuantities.Quantity

    @Test func aMatchingCompareSetsTheLevelAndAStaleOneChangesNothing() {
        var shop = shop()
        let set = InventorySetQuantities.apply([Q(inventoryItemId: 1, locationId: 10, quantity: 7, changeFromQuantity: 5)],
                                               name: "available", idempotencyKey: nil, to: &shop)
        #expect(set.userErrors.isEmpty && set.changes.map(\.delta) == [2] && shop.levels[.init(item: 1, location: 10)] == 7)
        let stale = InventorySetQuantities.apply([Q(inventoryItemId: 1, locationId: 10, quantity: 9, changeFromQuantity: 5),
                                                  Q(inventoryItemId: 2, locationId: 10, quantity: 3, changeFromQuantity: 0)],
                                                 name: "available", idempotencyKey: nil, to: &shop)
        #expect(stale.userErrors.map(\.code) == ["CHANGE_FROM_QUANTITY_STALE"] && stale.groupID == nil)
        #expect(shop.levels[.init(item: 1, location: 10)] == 7 && shop.levels[.init(item: 2, location: 10)] == 0, "all or nothing")
        let optedOut = InventorySetQuantities.apply([Q(inventoryItemId: 1, locationId: 10, quantity: 1, changeFromQuantity: nil)],
                                                    name: "available", idempotencyKey: nil, to: &shop)
        #expect(optedOut.userErrors.isEmpty && shop.levels[.init(item: 1, location: 10)] == 1)
    }

    @Test func aReplayedIdempotencyKeyReturnsTheFirstResultAndChangesNothing() {
        var shop = shop()
        let first = InventorySetQuantities.apply([Q(inventoryItemId: 1, locationId: 10, quantity: 8, changeFromQuantity: 5)],
                                                 name: "available", idempotencyKey: "k1", to: &shop)
        shop.levels[.init(item: 1, location: 10)] = 3   // someone edits it meanwhile
        let replay = InventorySetQuantities.apply([Q(inventoryItemId: 1, locationId: 10, quantity: 8, changeFromQuantity: 5)],
                                                  name: "available", idempotencyKey: "k1", to: &shop)
        #expect(replay == first && shop.levels[.init(item: 1, location: 10)] == 3 && shop.adjustmentGroups == 1)
    }

    @Test func badQuantitiesGetShopifysCodes() {
        var shop = shop()
        let result = InventorySetQuantities.apply([Q(inventoryItemId: 1, locationId: 99, quantity: 1, changeFromQuantity: nil),
                                                   Q(inventoryItemId: 2, locationId: 10, quantity: -1, changeFromQuantity: 0),
                                                   Q(inventoryItemId: 1, locationId: 10, quantity: 2_000_000_000, changeFromQuantity: 5)],
                                                  name: "on_hand", idempotencyKey: nil, to: &shop)
        #expect(result.userErrors.map(\.code) == ["INVALID_NAME", "ITEM_NOT_STOCKED_AT_LOCATION", "INVALID_QUANTITY_NEGATIVE",
                                                  "INVALID_QUANTITY_TOO_HIGH"])
        #expect(shop.levels == self.shop().levels)
        let tooMany = (0...InventorySetQuantities.maximumQuantities).map { _ in Q(inventoryItemId: 1, locationId: 10, quantity: 1, changeFromQuantity: nil) }
        #expect(InventorySetQuantities.apply(tooMany, name: "available", idempotencyKey: nil, to: &shop).userErrors.map(\.code) == ["TOO_MANY_QUANTITIES"])
    }
}
