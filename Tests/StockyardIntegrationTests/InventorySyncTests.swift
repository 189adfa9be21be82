import Foundation
import HummingbirdTesting
import StockyardCore
import StockyardStore
import Testing

/// Live inventory sync end to end (issue 6, item 5): a warehouse change → the quant trigger's coalesced job →
/// inventorySetQuantities at the simulator, with the location map's buffers and exclusions applied.
@Suite struct InventorySyncTests {
    typealias F = StorefrontFixture

    @Test func anAdjustmentReachesTheStorefrontWithBufferAndExclusionApplied() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            #expect(try await f.storefrontLevel(F.itemA, at: F.reserve) == 0, "an excluded location never receives anything")
            #expect(try await f.storefrontLevel(F.itemB, at: F.online) == 0, "product B did not change")

            let availability = try await f.api.send(.get, "\(f.shopPath)/availability?sku=SKU-A", token: f.token)
            #expect(availability.status == .ok)
            let levels = try availability.decode(Availability.self).items
            #expect(levels.count == 2, "one per enabled location: \(availability.text)")
            let retail = try #require(levels.first { $0.externalLocationId == F.retail })
            #expect(retail.onHand == 10 && retail.reserved == 0 && retail.buffer == 2 && retail.computed == 8)
            #expect(retail.lastPublished == 8 && retail.lastSeen == 8)

            // The storefront's webhooks for our two writes come back and are recognised as our own: in step, no drift.
            try await waitUntil(timeout: .seconds(10)) {
                let events = try await f.webhookEvents()
                return events.count == 2 && events.allSatisfy(\.processed)
            }
            #expect(try await f.webhookEvents().compactMap(\.outcome).sorted() == ["in step (10)", "in step (8)"])
            let drift = try await f.api.send(.get, "\(f.shopPath)/drift", token: f.token)
            let driftItems = try drift.json()["items"] as? [Any]
            #expect(drift.status == .ok && driftItems?.isEmpty == true, "\(drift.text)")
        }
    }

    @Test func aReservationLowersTheLevelAndABufferLargerThanTheStockFloorsAtZero() async throws {
        try await F.with { f in
            try await f.count(f.productA, 5)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 5)
            let picking = try await f.api.send(.post, "/v1/pickings", token: f.token, json: #"""
                {"picking_type_id":\#(f.warehouse.outTypeId),"move_ids":[{"product_id":\#(f.productA.id),"product_uom_qty":4}]}
                """#).decode(Picking.self)
            let reserved = try await f.api.send(.post, "/v1/pickings/\(picking.id)/reserve", token: f.token)
            #expect(reserved.status == .ok, "\(reserved.text)")
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 1)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 0)
        }
    }

    @Test func nothingIsPublishedBeforeTheShopGoesLive() async throws {
        try await F.with(live: false) { f in
            try await f.count(f.productA, 7)
            try await f.settle()
            #expect(try await f.storefrontLevel(F.itemA, at: F.online) == 0)
            try await f.environment.goLive(shop: f.shop.id, company: f.company.id)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 7)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 5)
        }
    }

    @Test func aManualStorefrontEditIsDetectedClassifiedAndCorrected() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.settle()
            try await f.editAtStorefront(F.itemA, at: F.online, to: 3)
            try await waitUntil(timeout: .seconds(10)) { try await !f.drift(includeResolved: true).isEmpty }
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.settle()
            let drift = try await f.drift(includeResolved: true)
            let edit = try #require(drift.first)
            #expect(drift.count == 1 && edit.class == .directionConflict && edit.expected == 10 && edit.actual == 3, "\(drift)")
            #expect(edit.storefrontLocationId == f.location(F.online).id)
            #expect(edit.resolvedAt != nil, "corrected, so resolved")
            #expect(try await f.drift().isEmpty)
            #expect(try await f.onHand(f.productA) == 10, "the warehouse wins in warehouse_to_shop")
        }
    }

    @Test func anEditJustBeforeAPushMakesItStaleAndThePushReadsAndWinsAgain() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 10)
            try await f.settle()
            // Someone adds one to the level just before our next write lands (online holds 10, retail 8).
            try await f.faults(#"{"stale_writes":1}"#)
            try await f.count(f.productA, 12)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 12)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 10)
            try await f.settle()
            let drift = try await f.drift(includeResolved: true)
            #expect(drift.contains { $0.class == .directionConflict && $0.source == "push" && ($0.actual, $0.expected) == (11, 12) }
                    || drift.contains { $0.class == .directionConflict && $0.source == "push" && ($0.actual, $0.expected) == (9, 10) }, "\(drift)")
            #expect(try await f.onHand(f.productA) == 12, "the warehouse wins in warehouse_to_shop")
        }
    }

    @Test func bidirectionalTakesANewerStorefrontChangeIntoTheWarehouse() async throws {
        try await F.with(direction: .bidirectional) { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            // Three sold at the retail counter: the storefront's change is newer than our last publish.
            try await f.editAtStorefront(F.itemA, at: F.retail, to: 5)
            try await waitUntil(timeout: .seconds(10)) { try await f.onHand(f.productA) == 7 }
            try await f.settle()
            #expect(try await f.onHand(f.productA) == 7, "the storefront's delta (−3) became an adjustment")
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 5)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 7)
            #expect(try await f.drift().isEmpty, "an accepted storefront change is not drift")

            // Online maps to the warehouse's view, where stock cannot be adjusted: the change is drift, corrected.
            try await f.editAtStorefront(F.itemA, at: F.online, to: 2)
            try await waitUntil(timeout: .seconds(10)) { try await f.drift(includeResolved: true).contains { $0.class == .locationMapping } }
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 7)
            #expect(try await f.onHand(f.productA) == 7)
        }
    }

    @Test func aLocationOverrideMakesOneLocationStorefrontDriven() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.settle()
            let retail = f.location(F.retail)
            let changed = try await f.api.send(.patch, "\(f.shopPath)/locations/\(retail.id)", token: f.token,
                                               json: #"{"direction":"shop_to_warehouse"}"#)
            #expect(changed.status == .ok, "\(changed.text)")
            try await f.editAtStorefront(F.itemA, at: F.retail, to: 6)
            try await waitUntil(timeout: .seconds(10)) { try await f.onHand(f.productA) == 8 }
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 8)
            try await f.settle()
            #expect(try await f.storefrontLevel(F.itemA, at: F.retail) == 6, "a storefront-driven location is not written")
        }
    }

    @Test func throttlingAndServerErrorsDelayButNeverLoseAnUpdate() async throws {
        try await F.with { f in
            try await f.faults(#"{"throttled":3,"too_many_requests":2,"retry_after_seconds":1,"server_error_rate":0.3}"#)
            for quantity in [4, 9, 2, 12] {
                try await f.count(f.productA, quantity)
                try await f.count(f.productB, quantity + 1)
            }
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 12, timeout: .seconds(30))
            try await f.expectStorefront(F.itemB, at: F.online, toBecome: 13, timeout: .seconds(30))
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 10, timeout: .seconds(30))
            try await f.expectStorefront(F.itemB, at: F.retail, toBecome: 11, timeout: .seconds(30))
        }
    }

    /// A first count creates its quant empty, then counts it: only the count is published. Any writer's quant
    /// created with stock is published at once.
    @Test func aQuantCreatedEmptyPublishesNothingUntilItHoldsStock() async throws {
        try await F.with { f in
            try await f.settle()
            let (afterEmptyInsert, afterCount, afterStockedInsert) = try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                func pendingPushes(_ product: Product) async throws -> Int {
                    try await connection.rows("""
                        SELECT count(*)::int FROM stockyard.sync_jobs
                        WHERE kind = 'inventory.push' AND state = 'pending' AND (payload->>'product_id')::bigint = \(product.id)
                        """).collect()[0].decode(Int.self)
                }
                try await connection.rows("""
                    INSERT INTO stockyard.stock_quants (company_id, product_id, location_id) VALUES (\(f.company.id), \(f.productA.id), \(f.warehouse.lotStockId))
                    """)
                let afterEmptyInsert = try await pendingPushes(f.productA)
                try await connection.rows("""
                    UPDATE stockyard.stock_quants SET quantity = 3 WHERE product_id = \(f.productA.id) AND location_id = \(f.warehouse.lotStockId)
                    """)
                let afterCount = try await pendingPushes(f.productA)
                try await connection.rows("""
                    INSERT INTO stockyard.stock_quants (company_id, product_id, location_id, quantity) VALUES (\(f.company.id), \(f.productB.id), \(f.warehouse.lotStockId), 4)
                    """)
                return (afterEmptyInsert, afterCount, try await pendingPushes(f.productB))
            }
            #expect(afterEmptyInsert == 0, "an empty quant changes no level")
            #expect(afterCount == 2 && afterStockedInsert == 2, "one push per enabled location (Online, Retail)")
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 3)
            try await f.expectStorefront(F.itemB, at: F.retail, toBecome: 2)
        }
    }

    @Test func aThousandRapidChangesToOneSKUCoalesce() async throws {
        try await F.with { f in
            let before = try await f.storefrontStats()["calls"] as? Int ?? 0
            // 1,000 committed changes, eight writers at a time, each change its own transaction on one of eight bins
            // under the stock location (so the writers do not queue behind one quant's row lock).
            var bins: [Int64] = []
            for index in 0..<8 {
                bins.append(try await f.api.post(location: #"{"name":"Bin \#(index)","location_id":\#(f.warehouse.lotStockId)}"#, token: f.token).id)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for bin in bins {
                    group.addTask {
                        for _ in 0..<125 {
                            try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                                try await connection.rows("""
                                    INSERT INTO stockyard.stock_quants (company_id, product_id, location_id, quantity)
                                    VALUES (\(f.company.id), \(f.productA.id), \(bin), 1)
                                    ON CONFLICT (company_id, product_id, location_id) DO UPDATE SET quantity = stock_quants.quantity + 1
                                    """)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 1000, timeout: .seconds(30))
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 998, timeout: .seconds(30))
            try await f.settle()
            let calls = (try await f.storefrontStats()["calls"] as? Int ?? 0) - before
            #expect(calls < 200, "2,000 level changes (1,000 × 2 locations) cost \(calls) storefront calls")
        }
    }

    @Test func theShopsListsArePagedByCursor() async throws {
        try await F.with(live: false) { f in
            func all<Item: Codable & Sendable>(_ path: String, limit: Int, as: Item.Type) async throws -> (items: [Item], pages: Int) {
                var items: [Item] = [], cursor: String?, pages = 0
                repeat {
                    let separator = path.contains("?") ? "&" : "?"
                    let response = try await f.api.send(.get, "\(path)\(separator)limit=\(limit)\(cursor.map { "&cursor=\($0)" } ?? "")", token: f.token)
                    #expect(response.status == .ok, "\(response.text)")
                    let page = try response.decode(Page<Item>.self)
                    items += page.items
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages < 20
                return (items, pages)
            }
            let whole = try await all("\(f.shopPath)/availability", limit: 200, as: InventoryLevel.self)
            let paged = try await all("\(f.shopPath)/availability", limit: 1, as: InventoryLevel.self)
            #expect(whole.items.count == 4 && whole.pages == 1, "two products at two enabled locations")
            #expect(paged.pages == 4 && paged.items.map(\.productId) == whole.items.map(\.productId)
                    && paged.items.map(\.storefrontLocationId) == whole.items.map(\.storefrontLocationId))
            #expect(try await all("\(f.shopPath)/availability?sku=SKU-A", limit: 1, as: InventoryLevel.self).items.count == 2)

            let locations = try await all("\(f.shopPath)/locations", limit: 2, as: StorefrontLocation.self)
            #expect(locations.items.count == 3 && locations.pages == 2 && Set(locations.items.map(\.id)).count == 3)
            _ = try await f.api.send(.post, "/v1/shops", token: f.token, json: #"{"name":"Second","domain":"paged.myshopify.com"}"#)
            let shops = try await all("/v1/shops", limit: 1, as: Shop.self)
            #expect(shops.items.map(\.domain).count == 2 && shops.pages == 2)

            for path in ["\(f.shopPath)/availability?cursor=c12", "\(f.shopPath)/locations?cursor=c1.2", "/v1/shops?limit=0"] {
                let refused = try await f.api.send(.get, path, token: f.token)
                let field = try refused.json()["field"] as? String
                #expect(refused.status == .unprocessableContent && ["cursor", "limit"].contains(field), "\(path)")
            }
        }
    }

    struct Availability: Decodable { let items: [InventoryLevel] }
}
