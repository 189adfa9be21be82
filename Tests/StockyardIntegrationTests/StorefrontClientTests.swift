import Foundation
import HummingbirdTesting
import NIOCore
import StockyardSync
import StorefrontSimulator
import Testing

/// Stockyard's storefront client against the simulator over HTTP: every answer becomes an outcome a job can act on.
@Suite struct StorefrontClientTests {
    func withShop(_ body: @Sendable (StorefrontClient.Credentials, any TestClientProtocol) async throws -> Void) async throws {
        try await StorefrontSimulator().application().test(.live) { client in
            _ = try await client.execute(uri: "/_simulator/shops", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: #"""
                {"domain":"c.myshopify.com","access_token":"tok","webhook_secret":"s",
                 "levels":[{"inventory_item_id":11,"location_id":1,"available":4},{"inventory_item_id":12,"location_id":1,"available":0}]}
                """#)) { _ in }
            let port = try #require(client.port)
            try await body(.init(baseURL: "http://127.0.0.1:\(port)/shops/c.myshopify.com", accessToken: "tok"), client)
        }
    }

    func faults(_ client: any TestClientProtocol, _ json: String) async throws {
        _ = try await client.execute(uri: "/_simulator/shops/c.myshopify.com/faults", method: .put,
                                     headers: [.contentType: "application/json"], body: ByteBuffer(string: json)) { _ in }
    }

    @Test func locationsAndEveryVariantPageByPage() async throws {
        try await StorefrontSimulator().application().test(.live) { client in
            let variants = (1...7).map { #"{"id":\#(100 + $0),"sku":"S\#($0)","inventory_item_id":\#(200 + $0),"status":"\#($0 == 7 ? "ARCHIVED" : "ACTIVE")"}"# }
            _ = try await client.execute(uri: "/_simulator/shops", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: #"""
                {"domain":"c.myshopify.com","access_token":"tok","webhook_secret":"s",
                 "locations":[{"id":1,"name":"Shop floor"},{"id":2,"name":"Warehouse 3PL"}],
                 "variants":[\#(variants.joined(separator: ","))]}
                """#)) { _ in }
            let port = try #require(client.port)
            let credentials = StorefrontClient.Credentials(baseURL: "http://127.0.0.1:\(port)/shops/c.myshopify.com", accessToken: "tok")
            let storefront = StorefrontClient()
            let locations = try await storefront.locations(credentials: credentials)
            #expect(locations.map(\.id) == [1, 2] && locations.map(\.name) == ["Shop floor", "Warehouse 3PL"])
            #expect(try await storefront.locations(credentials: credentials, pageSize: 1) == locations, "two pages of one")
            let all = try await storefront.variants(credentials: credentials, pageSize: 3)
            #expect(all.map(\.id) == Array(101...107), "three pages of 3, 3 and 1")
            let first = try #require(all.first)
            #expect(first.sku == "S1" && first.barcode == nil && first.inventoryItemID == 201 && first.status == "ACTIVE")
            #expect(all.last?.status == "ARCHIVED")
        }
    }

    @Test func outcomesAndFailuresOfSettingLevels() async throws {
        try await withShop { credentials, simulator in
            let storefront = StorefrontClient()
            let write = StorefrontClient.LevelWrite(inventoryItemID: 11, locationID: 1, quantity: 7, changeFrom: 4)
            guard case .applied = try await storefront.setAvailable([write], idempotencyKey: "k-1", reference: "stockyard://job/1",
                                                                    credentials: credentials) else {
                Issue.record("expected the write to apply"); return
            }
            #expect(try await storefront.setAvailable([write], idempotencyKey: "k-2", reference: "r", credentials: credentials) == .stale)
            let negative = StorefrontClient.LevelWrite(inventoryItemID: 12, locationID: 1, quantity: -1, changeFrom: 0)
            #expect(try await storefront.setAvailable([negative], idempotencyKey: "k-3", reference: "r", credentials: credentials)
                    == .rejected([.init(code: "INVALID_QUANTITY_NEGATIVE", message: "The quantity can't be negative.")]))

            var wrong = credentials
            wrong.accessToken = "nope"
            await #expect(throws: StorefrontClient.Failure.unauthorized) {
                try await storefront.setAvailable([write], idempotencyKey: "k-4", reference: "r", credentials: wrong)
            }
            try await faults(simulator, #"{"too_many_requests":1,"retry_after_seconds":3}"#)
            await #expect(throws: StorefrontClient.Failure.throttled(retryAfter: .seconds(3))) {
                try await storefront.setAvailable([write], idempotencyKey: "k-5", reference: "r", credentials: credentials)
            }
            // A fresh client each: the first is now holding this shop back for 3 s (see the next test).
            try await faults(simulator, #"{"throttled":1}"#)
            await #expect(throws: StorefrontClient.Failure.throttled(retryAfter: .milliseconds(100))) {
                try await StorefrontClient().setAvailable([write], idempotencyKey: "k-6", reference: "r", credentials: credentials)
            }
            try await faults(simulator, #"{"server_error_rate":1}"#)
            await #expect(throws: StorefrontClient.Failure.unavailable(status: 502)) {
                try await StorefrontClient().setAvailable([write], idempotencyKey: "k-7", reference: "r", credentials: credentials)
            }
            try await faults(simulator, "{}")
            var away = credentials
            away.baseURL = "http://127.0.0.1:1/shops/c.myshopify.com"
            do {
                _ = try await storefront.setAvailable([write], idempotencyKey: "k-8", reference: "r", credentials: away)
                Issue.record("expected a transport failure")
            } catch {
                if case StorefrontClient.Failure.transport = error {} else { Issue.record("expected a transport failure, got \(error)") }
            }
        }
    }

    @Test func aShopThatSaidWaitIsNotCalledUntilTheWaitIsOver() async throws {
        try await withShop { credentials, simulator in
            _ = try await simulator.execute(uri: "/_simulator/shops", method: .post, headers: [.contentType: "application/json"],
                                            body: ByteBuffer(string: #"{"domain":"d.myshopify.com","access_token":"tok","webhook_secret":"s","levels":[{"inventory_item_id":11,"location_id":1,"available":0}]}"#)) { _ in }
            func calls(_ domain: String) async throws -> Int {
                try await simulator.execute(uri: "/_simulator/shops/\(domain)/stats", method: .get) { response in
                    (try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])?["calls"] as? Int ?? -1
                }
            }
            var other = credentials
            other.baseURL = credentials.baseURL.replacingOccurrences(of: "c.myshopify.com", with: "d.myshopify.com")
            let storefront = StorefrontClient()
            let write = StorefrontClient.LevelWrite(inventoryItemID: 11, locationID: 1, quantity: 5, changeFrom: 4)
            try await faults(simulator, #"{"too_many_requests":1,"retry_after_seconds":1}"#)
            await #expect(throws: StorefrontClient.Failure.throttled(retryAfter: .seconds(1))) {
                try await storefront.setAvailable([write], idempotencyKey: "t-1", reference: "r", credentials: credentials)
            }
            let told = try await calls("c.myshopify.com")
            // Held back here, without a call, for what is left of the second; another shop is not.
            do {
                _ = try await storefront.setAvailable([write], idempotencyKey: "t-2", reference: "r", credentials: credentials)
                Issue.record("expected the shop to be held back")
            } catch StorefrontClient.Failure.throttled(let left) {
                #expect(left > .zero && left <= .seconds(1), "\(left)")
            }
            #expect(try await calls("c.myshopify.com") == told, "no call reached the held shop")
            let elsewhere = StorefrontClient.LevelWrite(inventoryItemID: 11, locationID: 1, quantity: 2, changeFrom: 0)
            guard case .applied = try await storefront.setAvailable([elsewhere], idempotencyKey: "t-3", reference: "r", credentials: other) else {
                Issue.record("another shop's call should go through"); return
            }
            try await Task.sleep(for: .seconds(1))
            guard case .applied = try await storefront.setAvailable([write], idempotencyKey: "t-4", reference: "r", credentials: credentials) else {
                Issue.record("after the wait the call should go through"); return
            }
            #expect(try await calls("c.myshopify.com") == told + 1)
        }
    }
}
