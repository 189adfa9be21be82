import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import StockyardAPI
import StockyardCore
import StockyardStore
import StockyardSync
import StorefrontSimulator
import Testing

/// A company selling through a simulated storefront, end to end over HTTP: the simulator and Stockyard's API are
/// both live servers (the simulator delivers its webhooks to the API), and one job runner with the storefront
/// handlers serves every fixture of the test process (a runner per test would claim other tests' jobs and, when
/// cancelled at the test's end, leave them leased). The shop has three storefront locations: Online (mapped to the warehouse's view, so
/// its whole stock counts), Retail (mapped to the stock location, buffer 2) and Reserve (excluded); and two
/// variants linked to products A and B by SKU. Every level starts at 0 and the shop is live.
struct StorefrontFixture: Sendable {
    let environment: TestEnvironment
    let company: TestCompany
    let api: any TestClientProtocol
    let simulator: any TestClientProtocol
    let domain: String
    let shop: Shop
    let warehouse: Warehouse
    let productA: Product
    let productB: Product
    let locations: [StorefrontLocation]

    static let online: Int64 = 1001, retail: Int64 = 1002, reserve: Int64 = 1003
    static let itemA: Int64 = 5001, itemB: Int64 = 5002
    static let accessToken = "shpat_fixture", webhookSecret = "whsec_fixture"

    var token: String { company.token }
    var shopPath: String { "/v1/shops/\(shop.id)" }
    func location(_ external: Int64) -> StorefrontLocation { locations.first { $0.externalId == external }! }

    /// Runs `body` with a ready fixture; `live: false` leaves the shop in planning (nothing is published).
    static func with(live: Bool = true, direction: InventoryDirection = .warehouseToShop,
                     _ body: @Sendable (StorefrontFixture) async throws -> Void) async throws {
        let environment = try await TestEnvironment.get()
        try await StorefrontSimulator().application().test(.live) { simulator in
            let app = buildApplication(environment.apiDependencies(), services: [], logger: environment.logger)
            try await app.test(.live) { api in
                try await sharedRunner.value
                let fixture = try await make(environment: environment, api: api, simulator: simulator, live: live, direction: direction)
                try await body(fixture)
            }
        }
    }

    /// The storefront handlers' runner, started once per test process and never stopped.
    static let sharedRunner = Task<Void, any Error> {
        let environment = try await TestEnvironment.get()
        let database = TestEnvironment.startedDatabase(environment.appURL, poolSize: 8, logger: environment.logger)
        let runner = JobRunner(settings: testRunnerSettings(kinds: [InventoryPushHandler.kind, WebhookEventHandler.kind,
                                                                       InventoryReconcileHandler.kind], concurrency: 8),
                               database: database, listenURL: environment.appURL,
                               handlers: .stockyard(secrets: try SecretBox(base64Key: TestEnvironment.secretKey)),
                               metrics: nil, logger: environment.logger)
        Task.detached { try await runner.run() }
        try await waitUntil(timeout: .seconds(10)) { runner.isListening }
    }

    private static func make(environment: TestEnvironment, api: any TestClientProtocol, simulator: any TestClientProtocol,
                             live: Bool, direction: InventoryDirection) async throws -> StorefrontFixture {
        let company = try await environment.makeCompany()
        let domain = "f\(UInt32.random(in: 0...UInt32.max)).myshopify.com"
        let apiPort = try #require(api.port), simulatorPort = try #require(simulator.port)
        try await simulator.control(.post, "/_simulator/shops", #"""
            {"domain":"\#(domain)","access_token":"\#(accessToken)","webhook_secret":"\#(webhookSecret)",
             "webhook_url":"http://127.0.0.1:\#(apiPort)/v1/webhooks/shopify",
             "locations":[{"id":\#(online),"name":"Online Store"},{"id":\#(retail),"name":"Retail"},{"id":\#(reserve),"name":"Reserve"}],
             "variants":[{"id":4001,"sku":"SKU-A","inventory_item_id":\#(itemA),"status":"ACTIVE"},
                         {"id":4002,"sku":"SKU-B","barcode":"200","inventory_item_id":\#(itemB),"status":"ACTIVE"}],
             "levels":[\#([online, retail, reserve].flatMap { l in [itemA, itemB].map { #"{"inventory_item_id":\#($0),"location_id":\#(l),"available":0}"# } }.joined(separator: ","))]}
            """#)
        let warehouse = try await api.send(.post, "/v1/warehouses", token: company.token,
                                           json: #"{"name":"Main","code":"WH","delivery_steps":"ship_only"}"#).decode(Warehouse.self)
        let productA = try await api.send(.post, "/v1/products", token: company.token, json: #"{"name":"A","default_code":"SKU-A"}"#).decode(Product.self)
        let productB = try await api.send(.post, "/v1/products", token: company.token, json: #"{"name":"B","default_code":"SKU-B"}"#).decode(Product.self)
        let created = try await api.send(.post, "/v1/shops", token: company.token, json: #"""
            {"name":"Fixture shop","domain":"\#(domain)","api_base_url":"http://127.0.0.1:\#(simulatorPort)/shops/\#(domain)",
             "access_token":"\#(accessToken)","webhook_secret":"\#(webhookSecret)","inventory_direction":"\#(direction.rawValue)"}
            """#)
        guard created.status == .created else { throw TestFailure("shop: \(created.text)") }
        let shop = try created.decode(Shop.self)
        let imported = try await api.send(.post, "/v1/shops/\(shop.id)/locations/import", token: company.token)
        guard imported.status == .ok else { throw TestFailure("location import: \(imported.text)") }
        let listed = try imported.decode(LocationList.self).items
        for location in listed {
            let changes = switch location.externalId {
            case online: #"{"kind":"online","location_id":\#(warehouse.viewLocationId),"sync":"enabled"}"#
            case retail: #"{"kind":"retail","location_id":\#(warehouse.lotStockId),"sync":"enabled","buffer":2,"notes":"2 kept for walk-ins"}"#
            default: #"{"kind":"reserve","sync":"excluded","notes":"not for sale"}"#
            }
            let mapped = try await api.send(.patch, "/v1/shops/\(shop.id)/locations/\(location.id)", token: company.token, json: changes)
            guard mapped.status == .ok else { throw TestFailure("map: \(mapped.text)") }
        }
        let variants = try await api.send(.post, "/v1/shops/\(shop.id)/variants/import", token: company.token)
        guard variants.status == .ok, try variants.decode(VariantImportSummary.self).linkedBySku == 2 else {
            throw TestFailure("variant import: \(variants.text)")
        }
        if live { try await environment.goLive(shop: shop.id, company: company.id) }
        let locations = try await api.send(.get, "/v1/shops/\(shop.id)/locations", token: company.token).decode(LocationList.self).items
        return StorefrontFixture(environment: environment, company: company, api: api, simulator: simulator, domain: domain, shop: shop,
                                 warehouse: warehouse, productA: productA, productB: productB, locations: locations)
    }

    struct LocationList: Decodable { let items: [StorefrontLocation] }

    // MARK: - Acting and observing

    /// Counts `quantity` of `product` at the warehouse's stock location (an inventory adjustment through the API).
    func count(_ product: Product, _ quantity: Int, at location: Int64? = nil) async throws {
        let counted = try await api.send(.post, "/v1/inventory-adjustments", token: token, json: #"""
            {"product_id":\#(product.id),"location_id":\#(location ?? warehouse.lotStockId),"inventory_quantity":\#(quantity)}
            """#)
        guard counted.status == .created || counted.status == .ok else { throw TestFailure("count: \(counted.text)") }
    }

    /// The simulator's `available` of `item` at `location`.
    func storefrontLevel(_ item: Int64, at location: Int64) async throws -> Int? {
        let levels = try await simulator.control(.get, "/_simulator/shops/\(domain)/levels", nil)
        let list = try JSONSerialization.jsonObject(with: levels) as? [[String: Any]] ?? []
        return list.first { ($0["inventory_item_id"] as? Int).map(Int64.init) == item && ($0["location_id"] as? Int).map(Int64.init) == location }?["available"] as? Int
    }

    /// Waits until the storefront holds `expected` of `item` at `location`.
    func expectStorefront(_ item: Int64, at location: Int64, toBecome expected: Int, timeout: Duration = .seconds(15),
                          sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + timeout
        var actual = try await storefrontLevel(item, at: location)
        while actual != expected && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            actual = try await storefrontLevel(item, at: location)
        }
        if actual != expected {
            Issue.record("storefront level of \(item) at \(location) is \(actual.map(String.init) ?? "none"), expected \(expected)",
                         sourceLocation: sourceLocation)
        }
    }

    /// A person editing the level in the storefront's admin (the simulator sends inventory_levels/update).
    func editAtStorefront(_ item: Int64, at location: Int64, to available: Int) async throws {
        try await simulator.control(.put, "/_simulator/shops/\(domain)/levels",
                                    #"{"inventory_item_id":\#(item),"location_id":\#(location),"available":\#(available)}"#)
    }

    func faults(_ json: String) async throws {
        try await simulator.control(.put, "/_simulator/shops/\(domain)/faults", json)
    }

    func storefrontStats() async throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: try await simulator.control(.get, "/_simulator/shops/\(domain)/stats", nil)) as? [String: Any] ?? [:]
    }

    func drift(includeResolved: Bool = false) async throws -> [DriftEvent] {
        try await api.send(.get, "\(shopPath)/drift?include_resolved=\(includeResolved)", token: token).decode(Page<DriftEvent>.self).items
    }

    /// The on-hand quantity of `product` at the stock location.
    func onHand(_ product: Product) async throws -> Decimal {
        let quants = try await api.send(.get, "/v1/quants?product_id=\(product.id)", token: token).decode(Page<Quant>.self)
        return quants.items.filter { $0.locationId == warehouse.lotStockId }.map(\.quantity).reduce(0, +)
    }

    /// Waits until no inventory job of the company waits or runs (pending, failed or running) and the simulator has no
    /// webhook on its way: a push's job is done as soon as the storefront answered, while the echo of its write may
    /// still be travelling to the API (and, when not ours, become a job).
    func settle(timeout: Duration = .seconds(20)) async throws {
        func jobsBusy() async throws -> Bool {
            try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
                try await connection.rows("""
                    SELECT count(*)::int FROM stockyard.sync_jobs
                    WHERE kind IN ('inventory.push', 'webhook.process', 'inventory.reconcile') AND state IN ('pending', 'failed', 'running')
                      AND run_at < now() + interval '1 minute'   -- not the next scheduled reconcile
                    """).collect()[0].decode(Int.self)
            } > 0
        }
        try await waitUntil(timeout: timeout) {
            // No push runs, so no new echo leaves; none is on its way; and none that arrived made a job.
            guard try await !jobsBusy() else { return false }
            guard try await storefrontStats()["webhooks_in_flight"] as? Int == 0 else { return false }
            return try await !jobsBusy()
        }
    }
}

extension TestEnvironment {
    /// Puts a shop live directly (the cutover API's own tests go through its checklist).
    func goLive(shop: Int64, company: Int64) async throws {
        try await app.withCompany(company, logger: logger) { connection in
            try await connection.rows("UPDATE stockyard.shops SET cutover_state = 'live', live_at = now() WHERE id = \(shop)")
        }
    }
}

extension TestClientProtocol {
    /// A call to the simulator's control API; throws unless it succeeds. Returns the body.
    @discardableResult
    func control(_ method: HTTPRequest.Method, _ uri: String, _ json: String?) async throws -> Data {
        try await execute(uri: uri, method: method, headers: json == nil ? [:] : [.contentType: "application/json"],
                          body: json.map { ByteBuffer(string: $0) }) { response in
            guard (200..<300).contains(response.status.code) else {
                throw TestFailure("simulator \(method) \(uri): \(response.status) \(String(buffer: response.body))")
            }
            return Data(response.body.readableBytesView)
        }
    }
}

extension StorefrontFixture {
    /// A webhook delivery to Stockyard signed like Shopify's (with `secret`, the shop's by default).
    func deliver(_ body: String, topic: String? = "inventory_levels/update", eventID: String? = UUID().uuidString,
                 webhookID: String? = UUID().uuidString, triggeredAt: Date? = Date(), triggeredAtHeader: String? = nil,
                 domain: String? = nil, secret: String = StorefrontFixture.webhookSecret,
                 signature: String? = nil) async throws -> APIResponse {
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("X-Shopify-Hmac-Sha256")!] = signature ?? WebhookSignature.sign(Data(body.utf8), secret: secret)
        headers[HTTPField.Name("X-Shopify-Shop-Domain")!] = domain ?? self.domain
        headers[HTTPField.Name("X-Shopify-API-Version")!] = "2026-07"
        if let topic { headers[HTTPField.Name("X-Shopify-Topic")!] = topic }
        if let eventID { headers[HTTPField.Name("X-Shopify-Event-Id")!] = eventID }
        if let webhookID { headers[HTTPField.Name("X-Shopify-Webhook-Id")!] = webhookID }
        if let stamp = triggeredAtHeader ?? triggeredAt?.rfc3339Microseconds {
            headers[HTTPField.Name("X-Shopify-Triggered-At")!] = stamp
        }
        return try await api.send(.post, "/v1/webhooks/shopify", json: body, headers: headers)
    }

    /// An inventory_levels/update body.
    static func levelUpdate(_ item: Int64, at location: Int64, available: Int) -> String {
        #"{"inventory_item_id":\#(item),"location_id":\#(location),"available":\#(available),"updated_at":"2026-11-25T12:00:00Z"}"#
    }

    /// The shop's stored webhook events: (event key, processed, outcome).
    func webhookEvents() async throws -> [(key: String, processed: Bool, outcome: String?)] {
        try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
            try await connection.rows("""
                SELECT event_key, processed_at IS NOT NULL, outcome FROM stockyard.webhook_events WHERE shop_id = \(shop.id) ORDER BY id
                """).collect().map { try $0.decode((String, Bool, String?).self) }.map { (key: $0.0, processed: $0.1, outcome: $0.2) }
        }
    }
}
