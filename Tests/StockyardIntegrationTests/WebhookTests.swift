import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StockyardCore
import StockyardStore
import Testing

/// `POST /v1/webhooks/shopify` (issue 6, item 6): signature before anything, the shop from its domain, each event
/// once, processing as a job that follows the direction rule whatever the delivery order.
@Suite struct WebhookTests {
    typealias F = StorefrontFixture

    /// Another company's connected shop, with its own webhook secret ("other-secret").
    func otherCompanysShop(_ f: StorefrontFixture) async throws -> (company: TestCompany, domain: String, shop: Int64) {
        let other = try await f.environment.makeCompany()
        let domain = "o\(UInt32.random(in: 0...UInt32.max)).myshopify.com"
        let connected = try await f.api.send(.post, "/v1/shops", token: other.token, json: #"""
            {"name":"Other","domain":"\#(domain)","api_base_url":"http://127.0.0.1:1/x","access_token":"t","webhook_secret":"other-secret"}
            """#)
        #expect(connected.status == .created, "\(connected.text)")
        return (other, domain, Int64(try #require(try connected.json()["id"] as? Int)))
    }

    @Test func forgeriesAreRefusedAndStoreNothing() async throws {
        try await F.with { f in
            _ = try await otherCompanysShop(f)
            let body = F.levelUpdate(F.itemA, at: F.retail, available: 99)
            let forgeries: [(String, APIResponse)] = [
                ("signed with another secret", try await f.deliver(body, secret: "guess")),
                ("signed by the other company for this shop's domain", try await f.deliver(body, secret: "other-secret")),
                ("hex instead of base64", try await f.deliver(body, signature: String(repeating: "ab", count: 32))),
                ("no signature", try await f.deliver(body, signature: "")),
                ("an unknown domain", try await f.deliver(body, domain: "nobody.myshopify.com")),
                ("no domain", try await f.deliver(body, domain: "")),
                ("the body changed after signing", try await f.api.send(.post, "/v1/webhooks/shopify", json: body + " ", headers: [
                    HTTPField.Name("X-Shopify-Hmac-Sha256")!: WebhookSignature.sign(Data(body.utf8), secret: F.webhookSecret),
                    HTTPField.Name("X-Shopify-Shop-Domain")!: f.domain, HTTPField.Name("X-Shopify-Topic")!: "inventory_levels/update",
                    HTTPField.Name("X-Shopify-Event-Id")!: "tampered"])),
            ]
            for (what, response) in forgeries {
                #expect(response.status == .unauthorized && response.isProblem, "\(what): \(response.status) \(response.text)")
            }
            #expect(try await f.webhookEvents().isEmpty, "nothing stored")

            let oversize = try await f.deliver(#"{"pad":"\#(String(repeating: "x", count: 2 << 20))"}"#)
            #expect(oversize.status == .contentTooLarge)
            let notJSON = try await f.deliver("not json")
            #expect(notJSON.status == .badRequest && notJSON.isProblem)
            let noTopic = try await f.deliver(body, topic: nil)
            #expect(noTopic.status == .unprocessableContent && noTopic.text.contains("X-Shopify-Topic"))
            #expect(try await f.webhookEvents().isEmpty)
        }
    }

    @Test func aReplayIsStoredOnceAndActsOnce() async throws {
        try await F.with(direction: .shopToWarehouse) { f in
            try await f.count(f.productA, 10)
            let body = F.levelUpdate(F.itemA, at: F.retail, available: 5)
            let first = try await f.deliver(body, eventID: "evt-1", webhookID: "wh-1")
            let again = try await f.deliver(body, eventID: "evt-1", webhookID: "wh-2")
            let statuses = [try first.json()["status"] as? String, try again.json()["status"] as? String]
            #expect(first.status == .ok && again.status == .ok && statuses == ["accepted", "duplicate"])
            // Without an event id, the webhook id is the key.
            let other = F.levelUpdate(F.itemB, at: F.retail, available: 0)
            let byWebhookID = [try await f.deliver(other, eventID: nil, webhookID: "wh-9").json()["status"] as? String,
                               try await f.deliver(other, eventID: nil, webhookID: "wh-9").json()["status"] as? String]
            #expect(byWebhookID == ["accepted", "duplicate"])
            try await f.settle()
            #expect(try await f.webhookEvents().map(\.key) == ["evt-1", "wh-9"])
            // Retail computes 10 − 2 (buffer) = 8; the storefront said 5: the warehouse took −3, once.
            #expect(try await f.onHand(f.productA) == 7)
            try await expectQuantsMatchHistory(company: f.company.id, environment: f.environment)
        }
    }

    /// Copies of each event arriving together, in no order, some in one batch and some in the next: each event is
    /// answered `accepted` once and `duplicate` for every other copy, and stored once.
    @Test func copiesOfEventsArrivingTogetherAreAcceptedOnceEach() async throws {
        try await F.with { f in
            let copies = (0..<30).flatMap { n in Array(repeating: n, count: 4) }.shuffled()
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for n in copies {
                    group.addTask {
                        let answer = try await f.deliver(#"{"id":\#(n)}"#, topic: "products/update", eventID: "storm-\(n)")
                        return (n, "\(answer.status.code) \(try answer.json()["status"] as? String ?? answer.text)")
                    }
                }
                return try await group.reduce(into: [Int: [String]]()) { $0[$1.0, default: []].append($1.1) }
            }
            for n in 0..<30 {
                #expect(statuses[n]?.sorted() == ["200 accepted", "200 duplicate", "200 duplicate", "200 duplicate"], "storm-\(n)")
            }
            #expect(try await f.webhookEvents().map(\.key).sorted() == (0..<30).map { "storm-\($0)" }.sorted())
        }
    }

    @Test func theSubscriptionsAPIVersionIsStoredWithEachEvent() async throws {
        try await F.with { f in
            let port = try #require(f.api.port)
            try await f.simulator.control(.put, "/_simulator/shops/\(f.domain)/webhook",
                                          #"{"url":"http://127.0.0.1:\#(port)/v1/webhooks/shopify","api_version":"2026-10"}"#)
            try await f.editAtStorefront(F.itemA, at: F.online, to: 3)
            try await waitUntil(timeout: .seconds(10)) { try await !f.webhookEvents().isEmpty }
            let versions = try await f.environment.owner.collect(
                "SELECT api_version FROM stockyard.webhook_events WHERE shop_id = \(f.shop.id)").map { try $0.decode(String?.self) }
            #expect(versions == ["2026-10"], "\(versions)")
        }
    }

    @Test func shopifysNanosecondTimestampsAndOffsetsAreRead() async throws {
        try await F.with(live: false) { f in
            let body = F.levelUpdate(F.itemA, at: F.retail, available: 1)
            for stamp in ["2026-11-25T12:00:00.123456789Z", "2026-11-25T13:00:00.5+01:00", "2026-11-25T12:00:01Z"] {
                let delivered = try await f.deliver(body, triggeredAtHeader: stamp)
                #expect(delivered.status == .ok, "\(stamp): \(delivered.text)")
            }
            let stored = try await f.environment.owner.collect("""
                SELECT to_char(triggered_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US') FROM stockyard.webhook_events WHERE shop_id = \(f.shop.id) ORDER BY id
                """).map { try $0.decode(String.self) }
            // Postgres keeps microseconds: the nanoseconds round.
            #expect(stored == ["12:00:00.123457", "12:00:00.500000", "12:00:01.000000"], "\(stored)")
            let refused = try await f.deliver(body, triggeredAtHeader: "yesterday")
            #expect(refused.status == .unprocessableContent && refused.text.contains("X-Shopify-Triggered-At"))
        }
    }

    @Test func outOfOrderDeliveriesKeepTheNewestLevel() async throws {
        try await F.with(direction: .shopToWarehouse) { f in
            try await f.count(f.productA, 10)
            let now = Date()
            // The later event (6 available) arrives first; the earlier one (9) arrives after it and is stale.
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 6), triggeredAt: now)
            try await waitUntil(timeout: .seconds(10)) { try await f.webhookEvents().allSatisfy(\.processed) }
            _ = try await f.deliver(F.levelUpdate(F.itemA, at: F.retail, available: 9), triggeredAt: now.addingTimeInterval(-1))
            try await f.settle()
            let events = try await f.webhookEvents()
            #expect(events.count == 2 && events.allSatisfy(\.processed))
            #expect(events.last?.outcome?.hasPrefix("dropped") == true, "\(events)")
            #expect(try await f.onHand(f.productA) == 8, "one effect: 6 − 8 = −2")
        }
    }

    /// Deliveries of two companies that arrive together share one statement and commit (decisions D21), each stored
    /// for its own company; one that Postgres cannot store (jsonb refuses a \u0000 escape) gets a 422 naming the
    /// body, alone, and the rest of its batch is stored.
    @Test func deliveriesOfTwoCompaniesTogetherAreEachStoredOnceForTheirOwnCompany() async throws {
        try await F.with { f in
            let (other, otherDomain, otherShop) = try await otherCompanysShop(f)

            // The repository's batch, as the queue hands it over: both companies, and a duplicate within the batch.
            let events = WebhookEventRepository(database: f.environment.app)
            func delivery(_ shop: Int64, _ key: String) -> WebhookDelivery {
                WebhookDelivery(shop: shop, eventKey: key, webhookId: nil, topic: "products/update", apiVersion: nil, triggeredAt: nil,
                                body: #"{"id":1}"#)
            }
            let stored = try await events.ingest([(f.company.id, delivery(f.shop.id, "batch-1")), (other.id, delivery(otherShop, "batch-1")),
                                                  (f.company.id, delivery(f.shop.id, "batch-1")), (f.company.id, delivery(f.shop.id, "batch-2"))],
                                                 logger: f.environment.logger)
            #expect(stored == [true, true, false, true])
            // A delivery pairing a company with another company's shop is refused (the composite foreign key): nothing stored.
            await #expect(throws: (any Error).self) {
                _ = try await events.ingest([(f.company.id, delivery(f.shop.id, "batch-3")), (other.id, delivery(f.shop.id, "batch-3"))],
                                            logger: f.environment.logger)
            }

            // Over HTTP, concurrently: even deliveries for this shop, odd ones for the other; #7 holds \u0000.
            let answers = try await withThrowingTaskGroup(of: (Int, APIResponse).self) { group in
                for n in 0..<40 {
                    group.addTask {
                        let body = n == 7 ? #"{"note":"a\u0000b"}"# : #"{"id":\#(n)}"#
                        let mine = n % 2 == 0
                        return (n, try await f.deliver(body, topic: "products/update", eventID: "mix-\(n)", domain: mine ? nil : otherDomain,
                                                       secret: mine ? F.webhookSecret : "other-secret"))
                    }
                }
                return try await group.reduce(into: [Int: APIResponse]()) { $0[$1.0] = $1.1 }
            }
            for (n, answer) in answers {
                if n == 7 { #expect(answer.status == .unprocessableContent && answer.isProblem && answer.text.contains("body"), "\(answer.text)") }
                else {
                    let status = try answer.json()["status"] as? String
                    #expect(answer.status == .ok && status == "accepted", "#\(n): \(answer.text)")
                }
            }
            func keys(_ company: Int64) async throws -> [String] {
                try await f.environment.app.withCompany(company, logger: f.environment.logger) { connection in
                    try await connection.rows("SELECT event_key FROM stockyard.webhook_events ORDER BY event_key")
                        .collect().map { try $0.decode(String.self) }
                }
            }
            let expectedMine = ["batch-1", "batch-2"] + (0..<40).filter { $0 % 2 == 0 }.map { "mix-\($0)" }
            let expectedTheirs = ["batch-1"] + (0..<40).filter { $0 % 2 == 1 && $0 != 7 }.map { "mix-\($0)" }
            #expect(try await keys(f.company.id) == expectedMine.sorted())
            #expect(try await keys(other.id) == expectedTheirs.sorted())
        }
    }

    @Test func duplicateReorderedAndFailingDeliveriesFromTheSimulatorEndInOneEffectEach() async throws {
        try await F.with(direction: .shopToWarehouse) { f in
            try await f.count(f.productA, 10)
            try await f.faults(#"{"duplicate_webhooks":true,"out_of_order_webhooks":true,"failing_webhook_deliveries":2,"webhook_retry_milliseconds":50}"#)
            try await f.editAtStorefront(F.itemA, at: F.retail, to: 5)
            try await f.editAtStorefront(F.itemA, at: F.retail, to: 4)
            try await waitUntil(timeout: .seconds(15)) {
                let stats = try await f.storefrontStats()
                return stats["webhooks_in_flight"] as? Int == 0 && stats["webhooks_delivered"] as? Int == 4
            }
            try await f.settle()
            let stats = try await f.storefrontStats()
            #expect(stats["webhook_failed_attempts"] as? Int == 2, "\(stats)")
            #expect(try await f.webhookEvents().count == 2, "two events, each stored once")
            #expect(try await f.onHand(f.productA) == 6, "10, then the storefront's −3 and −1 (or −4 at once when reordered)")
            try await expectQuantsMatchHistory(company: f.company.id, environment: f.environment)
        }
    }

    @Test func anOrderFromTheStorefrontIsStoredOnceWithItsLinesAndLeavesStockAlone() async throws {
        try await F.with { f in
            try await f.count(f.productA, 10)
            try await f.expectStorefront(F.itemA, at: F.retail, toBecome: 8)
            try await f.faults(#"{"duplicate_webhooks":true}"#)
            let placed = try await f.simulator.control(.post, "/_simulator/shops/\(f.domain)/orders",
                                                       #"{"line_items":[{"variant_id":4001,"quantity":2},{"variant_id":4002,"quantity":1}]}"#)
            let order = try #require(try JSONSerialization.jsonObject(with: placed) as? [String: Any])
            let lines = order["line_items"] as? [[String: Any]] ?? []
            #expect(order["name"] as? String == "#1001" && lines.map { $0["sku"] as? String } == ["SKU-A", "SKU-B"])
            #expect(lines.map { $0["fulfillable_quantity"] as? Int } == [2, 1])
            func orderEvents() async throws -> [(topic: String, version: String?, id: Int64, lines: Int, outcome: String?)] {
                try await f.environment.app.withCompany(f.company.id, logger: f.environment.logger) { connection in
                    try await connection.rows("""
                        SELECT topic, api_version, (payload->>'id')::bigint, jsonb_array_length(payload->'line_items'), outcome
                        FROM stockyard.webhook_events WHERE shop_id = \(f.shop.id) AND topic LIKE 'orders/%'
                        """).collect().map { try $0.decode((String, String?, Int64, Int, String?).self) }
                        .map { (topic: $0.0, version: $0.1, id: $0.2, lines: $0.3, outcome: $0.4) }
                }
            }
            // Both copies delivered (the duplicate switch), the event processed.
            try await waitUntil(timeout: .seconds(15)) {
                let inFlight = try await f.storefrontStats()["webhooks_in_flight"] as? Int
                let processed = try await orderEvents().first?.outcome != nil
                return inFlight == 0 && processed
            }
            let stored = try await orderEvents()
            #expect(stored.count == 1, "two deliveries of one event, stored once: \(stored)")
            #expect(stored.map(\.topic) == ["orders/create"] && stored.map(\.version) == ["2026-07"] && stored.map(\.lines) == [2])
            #expect(stored.map(\.id) == [(order["id"] as? Int).map(Int64.init)].compactMap { $0 })
            #expect(stored.first?.outcome?.contains("does not act on orders/create") == true, "\(stored)")
            #expect(try await f.onHand(f.productA) == 10, "an order alone moves no stock")
            let unknown = try await f.simulator.execute(uri: "/_simulator/shops/\(f.domain)/orders", method: .post,
                                                        headers: [.contentType: "application/json"],
                                                        body: ByteBuffer(string: #"{"line_items":[{"variant_id":9,"quantity":1}]}"#)) { $0.status }
            #expect(unknown == .unprocessableContent)
        }
    }
}
