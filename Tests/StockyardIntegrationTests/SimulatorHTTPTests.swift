import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import StorefrontSimulator
import Testing

/// The simulator over real HTTP: the control API, `inventorySetQuantities` as Shopify answers it, and faults.
@Suite struct SimulatorHTTPTests {
    static let mutation = """
        mutation SetLevels($input: InventorySetQuantitiesInput!) {
          inventorySetQuantities(input: $input) @idempotent(key: "KEY") {
            inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } }
            userErrors { code field message }
          }
        }
        """

    func setLevel(_ client: any TestClientProtocol, key: String, quantity: Int, from: Int?, token: String = "shpat_sim") async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        let compare = from.map(String.init) ?? "null"
        let body = #"{"query":\#(String(decoding: try JSONEncoder().encode(Self.mutation.replacingOccurrences(of: "KEY", with: key)), as: UTF8.self)),"variables":{"input":{"name":"available","reason":"correction","quantities":[{"inventoryItemId":"gid://shopify/InventoryItem/11","locationId":"gid://shopify/Location/1","quantity":\#(quantity),"changeFromQuantity":\#(compare)}]}}}"#
        return try await client.execute(uri: "/shops/sim.myshopify.com/admin/api/2026-07/graphql.json", method: .post,
                                        headers: [.contentType: "application/json", .init("X-Shopify-Access-Token")!: token],
                                        body: ByteBuffer(string: body)) { response in
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            return (response.status, object, response.headers)
        }
    }

    @Test func theIdempotentDirectiveIsReadWithOrWithoutSpaces() {
        #expect(StorefrontSimulator.idempotencyKey(in: Self.mutation) == "KEY")
        #expect(StorefrontSimulator.idempotencyKey(in: #"m @idempotent( key : "a-1" ) { x }"#) == "a-1")
        #expect(StorefrontSimulator.idempotencyKey(in: #"m @idempotent(keys: "a-1") { x }"#) == nil)
        #expect(StorefrontSimulator.idempotencyKey(in: #"m @idempotent(  key:"a-1"  ) { x }"#) == "a-1")
        #expect(StorefrontSimulator.idempotencyKey(in: #"m @idempotent(key: "") { x }"#) == nil)
        #expect(StorefrontSimulator.idempotencyKey(in: #"m @idempotent(key: "open { x }"#) == nil)
        #expect(StorefrontSimulator.idempotencyKey(in: "m { x }") == nil)
    }

    func levels(_ client: any TestClientProtocol) async throws -> String {
        try await client.execute(uri: "/_simulator/shops/sim.myshopify.com/levels", method: .get) { String(buffer: $0.body) }
    }

    @Test func inventorySetQuantitiesOverHTTPWithFaults() async throws {
        let simulator = StorefrontSimulator()
        try await simulator.application().test(.live) { client in
            let created = try await client.execute(uri: "/_simulator/shops", method: .post, headers: [.contentType: "application/json"],
                                                   body: ByteBuffer(string: #"""
                {"domain":"sim.myshopify.com","access_token":"shpat_sim","webhook_secret":"whsec",
                 "locations":[{"id":1,"name":"Shop floor"}],
                 "variants":[{"id":21,"sku":"P1","inventory_item_id":11,"status":"ACTIVE"}],
                 "levels":[{"inventory_item_id":11,"location_id":1,"available":4}]}
                """#)) { $0.status }
            #expect(created == .created)

            #expect(try await setLevel(client, key: "a", quantity: 9, from: 4, token: "wrong").0 == .unauthorized)
            let stale = try await setLevel(client, key: "b", quantity: 9, from: 3)
            let staleErrors = ((stale.1["data"] as? [String: Any])?["inventorySetQuantities"] as? [String: Any])?["userErrors"] as? [[String: Any]]
            #expect(staleErrors?.first?["code"] as? String == "CHANGE_FROM_QUANTITY_STALE")
            #expect(try await levels(client).contains(#""available":4"#))

            let set = try await setLevel(client, key: "c", quantity: 9, from: 4)
            let group = ((set.1["data"] as? [String: Any])?["inventorySetQuantities"] as? [String: Any])?["inventoryAdjustmentGroup"] as? [String: Any]
            #expect((group?["changes"] as? [[String: Any]])?.first?["delta"] as? Int == 5)
            let replay = try await setLevel(client, key: "c", quantity: 9, from: 4)
            #expect(NSDictionary(dictionary: replay.1) == NSDictionary(dictionary: set.1), "a replayed key answers the first result")
            #expect(try await levels(client).contains(#""available":9"#))

            let faults = try await client.execute(uri: "/_simulator/shops/sim.myshopify.com/faults", method: .put,
                                                  headers: [.contentType: "application/json"],
                                                  body: ByteBuffer(string: #"{"too_many_requests":1,"retry_after_seconds":2,"throttled":1}"#)) { $0.status }
            #expect(faults == .noContent)
            let limited = try await setLevel(client, key: "d", quantity: 1, from: 9)
            #expect(limited.0 == .tooManyRequests && limited.2[.retryAfter] == "2")
            let throttled = try await setLevel(client, key: "d", quantity: 1, from: 9)
            let code = ((throttled.1["errors"] as? [[String: Any]])?.first?["extensions"] as? [String: Any])?["code"] as? String
            #expect(throttled.0 == .ok && code == "THROTTLED")
            #expect(try await levels(client).contains(#""available":9"#), "refused calls change nothing")
            #expect(try await setLevel(client, key: "d", quantity: 1, from: 9).0 == .ok)
            #expect(try await levels(client).contains(#""available":1"#))

            // Someone edits the level just before the next write: its compare against 1 is stale, the level is 2.
            try await put(client, "faults", #"{"stale_writes":1}"#)
            let edited = try await setLevel(client, key: "e", quantity: 5, from: 1)
            let editedErrors = ((edited.1["data"] as? [String: Any])?["inventorySetQuantities"] as? [String: Any])?["userErrors"] as? [[String: Any]]
            #expect(editedErrors?.first?["code"] as? String == "CHANGE_FROM_QUANTITY_STALE")
            #expect(try await levels(client).contains(#""available":2"#))
            #expect(try await setLevel(client, key: "f", quantity: 5, from: 2).0 == .ok)
            #expect(try await levels(client).contains(#""available":5"#), "the switch spoils one write only")
        }
    }

    func put(_ client: any TestClientProtocol, _ path: String, _ json: String) async throws {
        let status = try await client.execute(uri: "/_simulator/shops/sim.myshopify.com/\(path)", method: .put,
                                              headers: [.contentType: "application/json"], body: ByteBuffer(string: json)) { $0.status }
        #expect(status == .noContent, "\(path)")
    }

    func stats(_ client: any TestClientProtocol) async throws -> [String: Any] {
        try await client.execute(uri: "/_simulator/shops/sim.myshopify.com/stats", method: .get) {
            (try? JSONSerialization.jsonObject(with: Data(buffer: $0.body))) as? [String: Any] ?? [:]
        }
    }

    @Test func aDeliveryThatFailsEveryRetryDeletesTheSubscription() async throws {
        let simulator = StorefrontSimulator()
        try await simulator.application().test(.live) { client in
            _ = try await client.execute(uri: "/_simulator/shops", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: #"{"domain":"sim.myshopify.com","access_token":"shpat_sim","webhook_secret":"whsec","locations":[{"id":1,"name":"Floor"}],"variants":[],"levels":[{"inventory_item_id":11,"location_id":1,"available":4}]}"#)) { $0.status }
            // The simulator itself answers 404 there: every attempt fails at once.
            let port = try #require(client.port)
            try await put(client, "webhook", #"{"url":"http://127.0.0.1:\#(port)/no-receiver"}"#)
            try await put(client, "faults", #"{"webhook_retry_milliseconds":1}"#)
            try await put(client, "levels", #"{"inventory_item_id":11,"location_id":1,"available":5}"#)
            try? await waitUntil(timeout: .seconds(10)) { try await stats(client)["webhooks_abandoned"] as? Int == 1 }
            let failed = try await stats(client)
            #expect(failed["webhooks_abandoned"] as? Int == 1 && failed["webhook_failed_attempts"] as? Int == 9, "the first attempt and 8 retries: \(failed)")

            try await put(client, "levels", #"{"inventory_item_id":11,"location_id":1,"available":6}"#)
            try await Task.sleep(for: .milliseconds(300))
            let after = try await stats(client)
            #expect(after["webhook_failed_attempts"] as? Int == 9 && after["webhooks_in_flight"] as? Int == 0,
                    "the subscription is gone: the next event is not sent")
        }
    }
}
