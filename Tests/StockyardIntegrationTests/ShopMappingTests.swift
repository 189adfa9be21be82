import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import StockyardCore
import StockyardStore
import Testing

/// Shops, the location map and the product links through the API (issue 6, items 1–3).
@Suite struct ShopMappingTests {
    typealias F = StorefrontFixture

    @Test func credentialsAreSealedAtRestAndNeverReturned() async throws {
        try await F.with(live: false) { f in
            for response in [try await f.api.send(.get, f.shopPath, token: f.token), try await f.api.send(.get, "/v1/shops", token: f.token)] {
                #expect(response.status == .ok)
                #expect(!response.text.contains(F.accessToken) && !response.text.contains(F.webhookSecret), "\(response.text)")
            }
            let shop = try await f.api.send(.get, f.shopPath, token: f.token).decode(Shop.self)
            #expect(shop.hasAccessToken && shop.hasWebhookSecret && shop.apiVersion == "2026-07" && shop.cutoverState == "planning")
            let stored = try await f.environment.owner.collect("""
                SELECT access_token_sealed, webhook_secret_sealed FROM stockyard.shops WHERE id = \(f.shop.id)
                """)[0].decode((Data, Data).self)
            #expect(stored.0.range(of: Data(F.accessToken.utf8)) == nil && stored.1.range(of: Data(F.webhookSecret.utf8)) == nil)
            // Copied onto another shop's row, a sealed secret does not open there (it is bound to its shop).
            let box = try SecretBox(base64Key: TestEnvironment.secretKey)
            #expect(try box.open(stored.0, boundTo: "shop:\(f.shop.id)") == F.accessToken)
            #expect(throws: SecretBox.Failure.cannotOpen) { try box.open(stored.0, boundTo: "shop:\(f.shop.id + 1)") }
        }
    }

    @Test func aRotatedWebhookSecretStaysValidForItsWindowOnly() async throws {
        try await F.with(live: false) { f in
            let rotated = try await f.api.send(.patch, f.shopPath, token: f.token, json: #"{"webhook_secret":"whsec_new"}"#)
            let rotatedShop = try rotated.decode(Shop.self)
            #expect(rotated.status == .ok && rotatedShop.previousWebhookSecretExpiresAt != nil)
            let body = F.levelUpdate(F.itemA, at: F.retail, available: 1)
            #expect(try await f.deliver(body, secret: "whsec_new").status == .ok)
            #expect(try await f.deliver(body, secret: F.webhookSecret).status == .ok, "the previous secret, within its window")
            _ = try await f.environment.owner.collect("""
                UPDATE stockyard.shops SET previous_webhook_secret_expires_at = now() - interval '1 second' WHERE id = \(f.shop.id)
                """)
            try await Task.sleep(for: .milliseconds(1100))   // the webhook endpoint keeps a shop's secrets for a second
            #expect(try await f.deliver(body, secret: F.webhookSecret).status == .unauthorized, "after the window")
        }
    }

    @Test func aNewSecretOrANewShopIsHonouredOnTheNextDelivery() async throws {
        try await F.with(live: false) { f in
            let body = F.levelUpdate(F.itemA, at: F.retail, available: 1)
            #expect(try await f.deliver(body).status == .ok)   // the endpoint now holds the shop's current secret
            let rotated = try await f.api.send(.patch, f.shopPath, token: f.token, json: #"{"webhook_secret":"whsec_next"}"#)
            #expect(rotated.status == .ok)
            #expect(try await f.deliver(body, secret: "whsec_next").status == .ok, "no wait for the endpoint's cache")

            let domain = "opened-today.myshopify.com"
            #expect(try await f.deliver(body, domain: domain, secret: "whsec_today").status == .unauthorized, "no such shop yet")
            let created = try await f.api.send(.post, "/v1/shops", token: f.token,
                                               json: #"{"name":"Opened today","domain":"\#(domain)","webhook_secret":"whsec_today"}"#)
            #expect(created.status == .created)
            #expect(try await f.deliver(body, domain: domain, secret: "whsec_today").status == .ok, "the new shop answers at once")
        }
    }

    @Test func badShopInputIsRefusedByField() async throws {
        try await F.with(live: false) { f in
            let cases: [(String, String)] = [
                (#"{"domain":"x.myshopify.com"}"#, "name"),
                (#"{"name":"X","domain":"not a host"}"#, "domain"),
                (#"{"name":"X","domain":"y.myshopify.com","api_base_url":"ftp://y"}"#, "api_base_url"),
                // 324 characters but 624 code points: Postgres counts the latter.
                ("{\"name\":\"X\",\"domain\":\"y.myshopify.com\",\"api_base_url\":\"https://y.myshopify.com/\(String(repeating: "e\\u0301", count: 300))\"}",
                 "api_base_url"),
                (#"{"name":"X","domain":"y.myshopify.com","api_version":"latest"}"#, "api_version"),
                (#"{"name":"X","domain":"y.myshopify.com","inventory_direction":"sideways"}"#, "inventory_direction"),
                (#"{"name":"X","domain":"y.myshopify.com","reconcile_interval_seconds":5}"#, "reconcile_interval_seconds"),
                (#"{"name":"X","domain":"y.myshopify.com","access_token":""}"#, "access_token"),
            ]
            for (json, field) in cases {
                let response = try await f.api.send(.post, "/v1/shops", token: f.token, json: json)
                #expect(response.status == .unprocessableContent && response.isProblem && response.text.contains(field), "\(json): \(response.text)")
            }
            let duplicate = try await f.api.send(.post, "/v1/shops", token: f.token, json: #"{"name":"X","domain":"\#(f.domain)"}"#)
            #expect(duplicate.status == .conflict)
            // Another company may name the domain, but not connect it: a webhook must name one shop.
            let other = try await f.environment.makeCompany()
            let named = try await f.api.send(.post, "/v1/shops", token: other.token, json: #"{"name":"X","domain":"\#(f.domain.uppercased())"}"#)
            #expect(named.status == .created)
            let connected = try await f.api.send(.patch, "/v1/shops/\(try named.decode(Shop.self).id)", token: other.token,
                                                 json: #"{"webhook_secret":"s"}"#)
            #expect(connected.status == .conflict && connected.text.contains("one shop"), "\(connected.text)")
            #expect(try await f.api.send(.patch, f.shopPath, token: f.token, json: #"{"domain":"z.myshopify.com"}"#).status == .unprocessableContent)
            #expect(try await f.api.send(.patch, f.shopPath, token: f.token, json: #"{"name":null}"#).status == .unprocessableContent)
        }
    }

    @Test func theLocationMapIsImportedThenMappedEnabledOrExcluded() async throws {
        try await F.with(live: false) { f in
            #expect(f.locations.map(\.sync) == [.enabled, .enabled, .excluded])
            let online = f.location(F.online)
            #expect(online.kind == .online && online.locationId == f.warehouse.viewLocationId && online.locationCompleteName == "WH")
            #expect(f.location(F.retail).buffer == 2 && f.location(F.retail).notes == "2 kept for walk-ins")

            // The storefront renames one location, drops another and opens a new one; the import follows.
            try await f.simulator.control(.post, "/_simulator/shops", #"""
                {"domain":"\#(f.domain)","access_token":"\#(F.accessToken)","webhook_secret":"\#(F.webhookSecret)",
                 "locations":[{"id":\#(F.online),"name":"Web"},{"id":\#(F.retail),"name":"Retail"},{"id":1004,"name":"Pop-up"}]}
                """#)
            let imported = try await f.api.send(.post, "\(f.shopPath)/locations/import", token: f.token).decode(F.LocationList.self).items
            #expect(imported.count == 4)
            #expect(imported.first { $0.externalId == F.online }?.name == "Web")
            #expect(imported.first { $0.externalId == F.reserve }?.active == false)
            let popUp = try #require(imported.first { $0.externalId == 1004 })
            #expect(popUp.sync == .pending && popUp.locationId == nil, "no implicit default location")

            let path = "\(f.shopPath)/locations/\(popUp.id)"
            let enableUnmapped = try await f.api.send(.patch, path, token: f.token, json: #"{"sync":"enabled"}"#)
            #expect(enableUnmapped.status == .unprocessableContent && enableUnmapped.text.contains("sync"))
            let customers = try await f.environment.owner.collect("""
                SELECT customer_location_id FROM stockyard.stock_company_locations WHERE company_id = \(f.company.id)
                """)[0].decode(Int64.self)
            let toCustomers = try await f.api.send(.patch, path, token: f.token, json: #"{"location_id":\#(customers)}"#)
            #expect(toCustomers.status == .unprocessableContent && toCustomers.text.contains("location_id"))
            for bad in [#"{"buffer":-1}"#, #"{"kind":"moon"}"#, #"{"direction":"up"}"#, #"{"notes":null}"#] {
                #expect(try await f.api.send(.patch, path, token: f.token, json: bad).status == .unprocessableContent, "\(bad)")
            }
            let mapped = try await f.api.send(.patch, path, token: f.token,
                                              json: #"{"kind":"pickup","location_id":\#(f.warehouse.lotStockId),"sync":"enabled","buffer":1}"#)
            let mappedLocation = try mapped.decode(StorefrontLocation.self)
            #expect(mapped.status == .ok && mappedLocation.sync == .enabled, "\(mapped.text)")
            #expect(try await f.api.send(.patch, "\(f.shopPath)/locations/999999", token: f.token, json: "{}").status == .notFound)
        }
    }

    @Test func variantsMatchBySKUThenBarcodeAndReportWhatCannotMatch() async throws {
        try await F.with(live: false) { f in
            for product in [#"{"name":"Shirt","default_code":"S1"}"#, #"{"name":"Mug","barcode":"B2"}"#, #"{"name":"Cap","default_code":"S3"}"#] {
                #expect(try await f.api.send(.post, "/v1/products", token: f.token, json: product).status == .created)
            }
            try await f.simulator.control(.post, "/_simulator/shops", #"""
                {"domain":"\#(f.domain)","access_token":"\#(F.accessToken)","webhook_secret":"\#(F.webhookSecret)",
                 "variants":[{"id":4001,"sku":"SKU-A","inventory_item_id":5001,"status":"ACTIVE"},
                             {"id":1,"sku":"S1","inventory_item_id":11,"status":"ACTIVE"},
                             {"id":2,"sku":"","barcode":"B2","inventory_item_id":12,"status":"ACTIVE"},
                             {"id":3,"sku":"S3","inventory_item_id":13,"status":"ACTIVE"},
                             {"id":4,"sku":"S3","inventory_item_id":14,"status":"ACTIVE"},
                             {"id":5,"sku":"NOPE","inventory_item_id":15,"status":"ACTIVE"},
                             {"id":6,"sku":"S6","inventory_item_id":16,"status":"ARCHIVED"}]}
                """#)
            let summary = try await f.api.send(.post, "\(f.shopPath)/variants/import", token: f.token).decode(VariantImportSummary.self)
            #expect(summary.listed == 7 && summary.kept == 1 && summary.linkedBySku == 1 && summary.linkedByBarcode == 1, "\(summary)")
            #expect(summary.ambiguous == 2 && summary.unmatched == 1 && summary.notActive == 1, "\(summary)")

            let ambiguous = try await f.api.send(.get, "\(f.shopPath)/variants?match_issue=ambiguous", token: f.token)
                .decode(Page<StorefrontVariant>.self).items
            #expect(ambiguous.map(\.externalId) == [3, 4] && ambiguous.allSatisfy { $0.candidateProductId != nil && $0.productId == nil })
            let all = try await f.api.send(.get, "\(f.shopPath)/variants?limit=200", token: f.token).decode(Page<StorefrontVariant>.self).items
            #expect(all.first { $0.externalId == 4002 }?.active == false, "no longer listed by the storefront")
            let unmatched = try #require(all.first { $0.externalId == 5 })
            #expect(unmatched.matchIssue == "unmatched")
            #expect(all.first { $0.externalId == 6 }?.matchIssue == "not_active")

            // By hand: one product per variant and shop (product B stays linked to its variant, which the storefront
            // no longer lists, until someone unlinks it).
            let free = try await f.api.send(.post, "/v1/products", token: f.token, json: #"{"name":"Free"}"#).decode(Product.self)
            #expect(try await f.api.send(.put, "\(f.shopPath)/variants/\(unmatched.id)/product", token: f.token,
                                         json: #"{"product_id":\#(f.productB.id)}"#).status == .conflict)
            let linked = try await f.api.send(.put, "\(f.shopPath)/variants/\(unmatched.id)/product", token: f.token,
                                              json: #"{"product_id":\#(free.id)}"#)
            guard linked.status == .ok else { Issue.record("link: \(linked.text)"); return }
            let variant = try linked.decode(StorefrontVariant.self)
            #expect(variant.productId == free.id && variant.match == "manual" && variant.confirmedAt != nil)
            let taken = try await f.api.send(.put, "\(f.shopPath)/variants/\(ambiguous[0].id)/product", token: f.token,
                                             json: #"{"product_id":\#(free.id)}"#)
            #expect(taken.status == .conflict)
            let missing = try await f.api.send(.put, "\(f.shopPath)/variants/\(ambiguous[0].id)/product", token: f.token,
                                               json: #"{"product_id":999999999}"#)
            #expect(missing.status == .unprocessableContent && missing.text.contains("product_id"))
            let unlinked = try await f.api.send(.delete, "\(f.shopPath)/variants/\(unmatched.id)/product", token: f.token)
            #expect(try unlinked.decode(StorefrontVariant.self).productId == nil)

            let confirmed = try await f.api.send(.post, "\(f.shopPath)/variants/confirm", token: f.token).json()["confirmed"] as? Int
            #expect(confirmed == 4, "SKU-A, SKU-B, S1 and B2 were matched automatically")

            let refused = try await f.api.send(.post, "\(f.shopPath)/variants/import", token: f.token, json: #"{"create_products":true}"#)
            #expect(refused.status == .unprocessableContent && refused.text.contains("create_products"))
            #expect(try await f.api.send(.patch, f.shopPath, token: f.token, json: #"{"allow_product_creation":true}"#).status == .ok)
            let created = try await f.api.send(.post, "\(f.shopPath)/variants/import", token: f.token, json: #"{"create_products":true}"#)
                .decode(VariantImportSummary.self)
            #expect(created.productsCreated == 1 && created.linkedBySku == 1, "NOPE became a product and was linked: \(created)")
        }
    }

    /// Migration 0024: an import leaves the storefront tables analyzed, so the plans every delivery and push caches are
    /// not made without statistics; the statistics stay out of the app role's sight.
    @Test func anImportLeavesTheStorefrontTablesAnalyzed() async throws {
        try await F.with(live: false) { f in
            let env = f.environment
            func lastAnalyzed(_ table: String) async throws -> Date? {
                try await env.owner.withConnection { connection in
                    try await connection.query("SELECT last_analyze FROM pg_stat_user_tables WHERE relid = \(table)::regclass",
                                               logger: env.logger).collect().first?.decode(Date?.self)
                }
            }
            let before = try await env.owner.withConnection { connection in
                try await connection.query("SELECT clock_timestamp()", logger: env.logger).collect()[0].decode(Date.self)
            }
            try await f.simulator.control(.post, "/_simulator/shops", #"""
                {"domain":"\#(f.domain)","access_token":"\#(F.accessToken)","webhook_secret":"\#(F.webhookSecret)",
                 "variants":[{"id":1,"sku":"S1","inventory_item_id":11,"status":"ACTIVE"}]}
                """#)
            #expect(try await f.api.send(.post, "\(f.shopPath)/variants/import", token: f.token).status == .ok)
            let variants = try await lastAnalyzed("stockyard.storefront_variants")
            let locations = try await lastAnalyzed("stockyard.storefront_locations")
            #expect(variants.map { $0 >= before } == true, "variants analyzed at \(String(describing: variants)), import began \(before)")
            #expect(locations.map { $0 >= before } == true, "locations analyzed at \(String(describing: locations))")

            // The app role sees no statistics of the tenant tables: pg_statistic is refused, pg_stats hides them.
            try await env.app.withCompany(f.company.id, logger: env.logger) { connection in
                let shown = try await connection.query("""
                    SELECT count(*)::int FROM pg_stats WHERE schemaname = 'stockyard' AND tablename = 'storefront_variants'
                    """, logger: env.logger).collect()[0].decode(Int.self)
                #expect(shown == 0)
            }
            await #expect(throws: PSQLError.self) {
                try await env.app.withConnection { connection in
                    _ = try await connection.query("SELECT count(*) FROM pg_statistic", logger: env.logger).collect()
                }
            }
        }
    }

    @Test func aShopBoundTokenSeesOnlyItsShop() async throws {
        try await F.with(live: false) { f in
            let second = try await f.api.send(.post, "/v1/shops", token: f.token, json: #"{"name":"Second","domain":"second-\#(f.domain)"}"#)
                .decode(Shop.self)
            let bound = try await f.environment.issueToken(company: f.company.id, scopes: [.shopsWrite], shop: f.shop.id)
            let shops = try await f.api.send(.get, "/v1/shops", token: bound.token).json()["items"] as? [[String: Any]]
            #expect(shops?.count == 1)
            #expect(try await f.api.send(.get, f.shopPath, token: bound.token).status == .ok)
            for path in ["/v1/shops/\(second.id)", "/v1/shops/\(second.id)/locations", "/v1/shops/\(second.id)/drift"] {
                #expect(try await f.api.send(.get, path, token: bound.token).status == .notFound, "\(path)")
            }
            #expect(try await f.api.send(.post, "/v1/shops", token: bound.token, json: #"{"name":"X","domain":"x.example.com"}"#).status == .forbidden)
            let reader = try await f.environment.issueToken(company: f.company.id, scopes: [.stockRead])
            #expect(try await f.api.send(.get, f.shopPath, token: reader.token).status == .forbidden)
        }
    }
}
