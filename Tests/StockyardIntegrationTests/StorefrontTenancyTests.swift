import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import StockyardCore
import StockyardStore
import Testing

/// Company B against company A's storefront data (issue 6): through every storefront route, and through SQL as
/// the app role in B's scope.
@Suite struct StorefrontTenancyTests {
    typealias F = StorefrontFixture

    @Test func anotherCompanyCannotSeeOrTouchAShopThroughTheAPI() async throws {
        try await F.with { f in
            try await f.count(f.productA, 4)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 4)
            let b = try await f.environment.makeCompany()
            let location = f.location(F.online).id
            let variants = try await f.api.send(.get, "\(f.shopPath)/variants", token: f.token).decode(Page<StorefrontVariant>.self).items
            let variant = try #require(variants.first).id
            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.get, f.shopPath, nil), (.patch, f.shopPath, #"{"name":"mine"}"#),
                (.get, "\(f.shopPath)/availability", nil), (.get, "\(f.shopPath)/drift", nil),
                (.get, "\(f.shopPath)/locations", nil), (.post, "\(f.shopPath)/locations/import", nil),
                (.patch, "\(f.shopPath)/locations/\(location)", #"{"sync":"excluded"}"#),
                (.get, "\(f.shopPath)/variants", nil), (.post, "\(f.shopPath)/variants/import", nil),
                (.post, "\(f.shopPath)/variants/confirm", nil),
                (.put, "\(f.shopPath)/variants/\(variant)/product", #"{"product_id":\#(f.productB.id)}"#),
                (.delete, "\(f.shopPath)/variants/\(variant)/product", nil),
            ]
            for (method, path, json) in attempts {
                let response = try await f.api.send(method, path, token: b.token, json: json)
                #expect(response.status == .notFound, "\(method) \(path): \(response.status) \(response.text)")
            }
            let list = try await f.api.send(.get, "/v1/shops", token: b.token).json()["items"] as? [Any]
            #expect(list?.isEmpty == true)
            // Nothing of A's changed.
            #expect(try await f.api.send(.get, f.shopPath, token: f.token).decode(Shop.self).name == "Fixture shop")
            #expect(try await f.api.send(.get, "\(f.shopPath)/locations", token: f.token).decode(F.LocationList.self).items
                .first { $0.id == location }?.sync == .enabled)
            #expect(try await f.api.send(.get, "\(f.shopPath)/variants", token: f.token).decode(Page<StorefrontVariant>.self).items
                .first { $0.id == variant }?.productId != nil)
        }
    }

    @Test func anotherCompanyCannotReadOrWriteStorefrontRowsInSQL() async throws {
        try await F.with { f in
            try await f.count(f.productA, 4)
            try await f.expectStorefront(F.itemA, at: F.online, toBecome: 4)
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.online, available: 4))
            try await f.settle()
            let b = try await f.environment.makeCompany()
            let app = f.environment.app, logger = f.environment.logger
            let tables = ["storefront_locations", "storefront_variants", "inventory_levels", "webhook_events", "drift_events", "cutover_events"]
            try await app.withCompany(b.id, logger: logger) { connection in
                for table in tables {
                    let count = try await connection.rows("SELECT count(*)::int FROM stockyard.\(unescaped: table)").collect()[0].decode(Int.self)
                    #expect(count == 0, "\(table) shows B none of A's rows")
                }
                let shops = try await connection.rows("SELECT count(*)::int FROM stockyard.shops").collect()[0].decode(Int.self)
                let availability = try await connection.rows("SELECT count(*)::int FROM reporting.inventory_availability").collect()[0].decode(Int.self)
                #expect(shops == 0 && availability == 0)
            }
            let aLocation = f.location(F.online).id
            // Pointing B's rows at A's shop or location fails the composite keys; writing A's company id fails RLS.
            await expectSQLState("23503") {
                try await app.withCompany(b.id, logger: logger) { connection in
                    _ = try await connection.rows("""
                        INSERT INTO stockyard.storefront_locations (company_id, shop_id, external_id, name) VALUES (\(b.id), \(f.shop.id), 1, 'x')
                        """).collect()
                }
            }
            await expectSQLState("42501") {
                try await app.withCompany(b.id, logger: logger) { connection in
                    _ = try await connection.rows("""
                        INSERT INTO stockyard.storefront_locations (company_id, shop_id, external_id, name) VALUES (\(f.company.id), \(f.shop.id), 1, 'x')
                        """).collect()
                }
            }
            let updated = try await app.withCompany(b.id, logger: logger) { connection in
                try await connection.rows("UPDATE stockyard.storefront_locations SET sync = 'excluded' WHERE id = \(aLocation) RETURNING 1").collect().count
            }
            #expect(updated == 0)
            // The webhook lookup is the one cross-tenant read, and it returns only what the check needs.
            let found = try await app.withConnection { connection in
                try await connection.rows("SELECT company_id, shop_id FROM stockyard.shop_for_webhook(\(f.domain))").collect()
                    .map { try $0.decode((Int64, Int64).self) }
            }
            #expect(found.count == 1 && found[0].0 == f.company.id && found[0].1 == f.shop.id)
        }
    }
}
