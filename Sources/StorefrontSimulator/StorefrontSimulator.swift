import Foundation
import StockyardCore
import Hummingbird
import Synchronization

/// A local stand-in for the Shopify Admin GraphQL subset Stockyard speaks (../shared/acceptance/storefront_protocol.md),
/// served over real HTTP for tests, demos and benchmarks. Each shop lives under `/shops/{domain}`, which is the
/// API base URL Stockyard is given for it: `POST /shops/{domain}/admin/api/{version}/graphql.json` with
/// `X-Shopify-Access-Token`. The control API under `/_simulator` creates shops, reads and edits levels, and sets
/// fault switches.
public final class StorefrontSimulator: Sendable {
    let shops = Mutex<[String: SimulatedShop]>([:])
    let outbox = WebhookOutbox()
    /// Boxed: a bare closure in a Mutex is re-wrapped in two reabstraction thunks at every `withLock` that reads
    /// it (inout write-back), so each call walked a chain as long as the calls before it.
    private let levelObserver = Mutex<LevelObserver?>(nil)

    private struct LevelObserver {
        let notify: @Sendable (LevelChange) -> Void
    }

    public init() {
        // Shopify deletes an API-created subscription whose delivery failed every retry.
        outbox.onDeliveryAbandoned { [weak self] domain in
            _ = try? self?.withShop(domain) { $0.webhookURL = nil }
        }
    }

    /// A level `inventorySetQuantities` changed, as the benchmarks observe it.
    public struct LevelChange: Sendable {
        public let domain: String
        public let inventoryItemID: Int64
        public let locationID: Int64
        public let available: Int
    }

    /// Calls `observer` for every level an API write changes (the inventory benchmark's clock stops there).
    public func observeLevelChanges(_ observer: @escaping @Sendable (LevelChange) -> Void) {
        levelObserver.withLock { $0 = LevelObserver(notify: observer) }
    }

    public func router() -> Router<SimulatorRequestContext> {
        let router = Router(context: SimulatorRequestContext.self)
        router.post("/shops/:domain/admin/api/:version/graphql.json") { request, context in
            try await self.graphQL(request, context: context)
        }
        router.post("/_simulator/shops") { request, context in
            let spec = try await request.decode(as: ShopSpec.self, context: context)
            self.shops.withLock { $0[spec.domain] = spec.shop }
            return Response(status: .created)
        }
        router.get("/_simulator/shops/:domain/levels") { _, context in
            let domain = try context.parameters.require("domain")
            guard let levels = self.shops.withLock({ $0[domain]?.levels }) else { throw HTTPError(.notFound) }
            return levels.map { LevelSpec(inventoryItemId: $0.key.item, locationId: $0.key.location, available: $0.value) }
                .sorted { ($0.inventoryItemId, $0.locationId) < ($1.inventoryItemId, $1.locationId) }
        }
        router.put("/_simulator/shops/:domain/faults") { request, context in
            let domain = try context.parameters.require("domain")
            let faults = try await request.decode(as: SimulatedShop.Faults.self, context: context)
            try self.withShop(domain) { $0.faults = faults }
            self.outbox.failNextAttempts(faults.failingWebhookDeliveries, domain: domain)
            return Response(status: .noContent)
        }
        router.put("/_simulator/shops/:domain/webhook") { request, context in
            let domain = try context.parameters.require("domain")
            let target = try await request.decode(as: WebhookTarget.self, context: context)
            try self.withShop(domain) { shop in
                shop.webhookURL = target.url
                if let version = target.apiVersion { shop.webhookAPIVersion = version }
            }
            return Response(status: .noContent)
        }
        // A person editing a level in the storefront's admin: the level changes and inventory_levels/update is sent.
        router.put("/_simulator/shops/:domain/levels") { request, context in
            let domain = try context.parameters.require("domain")
            let level = try await request.decode(as: LevelSpec.self, context: context)
            try self.withShop(domain) { $0.levels[.init(item: level.inventoryItemId, location: level.locationId)] = level.available }
            self.emitLevelUpdate(domain: domain, item: level.inventoryItemId, location: level.locationId, available: level.available)
            return Response(status: .noContent)
        }
        // A buyer placing an order: sent as orders/create.
        router.post("/_simulator/shops/:domain/orders") { request, context in
            let domain = try context.parameters.require("domain")
            let spec = try await request.decode(as: OrderSpec.self, context: context)
            let stamp = Self.timestamp()
            let order = try self.withShop(domain) { try SimulatedOrder.place(spec, in: &$0, at: stamp) }
            self.emit(topic: "orders/create", domain: domain, body: order, triggeredAt: stamp)
            return Self.json(status: .created, order)
        }
        router.get("/_simulator/shops/:domain/stats") { _, context in
            let domain = try context.parameters.require("domain")
            let calls = try self.withShop(domain) { $0.calls }
            let webhooks = self.outbox.stats(domain)
            return ShopStats(calls: calls, webhooksDelivered: webhooks.delivered, webhookFailedAttempts: webhooks.failedAttempts,
                             webhooksAbandoned: webhooks.abandoned, webhooksInFlight: self.outbox.inFlight)
        }
        return router
    }

    /// The simulator as an HTTP server on `host:port` (0: any free port).
    public func application(host: String = "127.0.0.1", port: Int = 0) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "storefront-simulator"))
    }

    func withShop<T>(_ domain: String, _ body: (inout SimulatedShop) throws -> T) throws -> T {
        try shops.withLock { shops in
            guard shops[domain] != nil else { throw HTTPError(.notFound, message: "no shop \(domain)") }
            // In place: a copy taken out and stored back would copy the shop's levels and idempotency results on
            // every write (copy on write), a cost that grows with the catalogue and the shop's history.
            return try body(&shops[domain]!)
        }
    }

    // MARK: - GraphQL

    private func graphQL(_ request: Request, context: SimulatorRequestContext) async throws -> Response {
        let domain = try context.parameters.require("domain")
        let token = request.headers[.init("X-Shopify-Access-Token")!]
        let (faults, authorized) = try withShop(domain) { shop in
            shop.calls += 1
            return (shop.faults, shop.accessToken == token)
        }
        guard authorized else {
            return Self.json(status: .unauthorized, ["errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"])
        }
        if faults.latencyMilliseconds > 0 { try await Task.sleep(for: .milliseconds(faults.latencyMilliseconds)) }
        if faults.tooManyRequests > 0 {
            try withShop(domain) { $0.faults.tooManyRequests -= 1 }
            var response = Self.json(status: .tooManyRequests, ["errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."])
            response.headers[.retryAfter] = String(faults.retryAfterSeconds)
            return response
        }
        if faults.serverErrorRate > 0 && Double.random(in: 0..<1) < faults.serverErrorRate {
            return Self.json(status: .badGateway, ["errors": "Bad gateway"])
        }
        if faults.throttled > 0 {
            try withShop(domain) { $0.faults.throttled -= 1 }
            return Self.json(status: .ok, [
                "errors": [["message": "Throttled", "extensions": ["code": "THROTTLED"]]],
                "extensions": ["cost": ["requestedQueryCost": 10, "throttleStatus": ["maximumAvailable": 2000, "currentlyAvailable": 0, "restoreRate": 100]]],
            ])
        }
        let body = try await request.body.collect(upTo: 4 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
              let query = object["query"] as? String else {
            return Self.json(status: .badRequest, ["errors": [["message": "Parse error: expected a JSON body with 'query'"]]])
        }
        let variables = object["variables"] as? [String: Any] ?? [:]
        if query.contains("inventorySetQuantities") { return try setQuantities(query: query, variables: variables, domain: domain) }
        if query.contains("inventoryLevel(") { return try level(variables: variables, domain: domain) }
        if query.contains("productVariants") { return try catalogue(variables: variables, domain: domain) }
        if query.contains("locations") { return try locations(variables: variables, domain: domain) }
        return Self.json(status: .ok, ["errors": [["message": "This simulator does not implement the requested operation"]]])
    }

    /// `locations(first: $first, after: $after)`: locations by id; the cursor is the last location id of the page.
    private func locations(variables: [String: Any], domain: String) throws -> Response {
        let first = min(max(variables["first"] as? Int ?? 50, 1), 250)
        let after = (variables["after"] as? String).flatMap { Int64($0) } ?? 0
        let locations = try withShop(domain) { $0.locations }.filter { $0.id > after }.sorted { $0.id < $1.id }
        let page = Array(locations.prefix(first))
        return Self.json(status: .ok, ["data": ["locations": [
            "nodes": page.map { ["id": ShopifyGID.make("Location", $0.id), "name": $0.name] },
            "pageInfo": ["hasNextPage": locations.count > first, "endCursor": page.last.map { String($0.id) as Any } ?? NSNull()],
        ]]])
    }

    /// `productVariants(first: $first, after: $after)`: variants by id with their SKU, barcode, inventory item and
    /// product status; the cursor is the last variant id of the page.
    private func catalogue(variables: [String: Any], domain: String) throws -> Response {
        let first = min(max(variables["first"] as? Int ?? 50, 1), 250)
        let after = (variables["after"] as? String).flatMap { Int64($0) } ?? 0
        let variants = try withShop(domain) { $0.variants }.filter { $0.id > after }.sorted { $0.id < $1.id }
        let page = Array(variants.prefix(first))
        return Self.json(status: .ok, ["data": ["productVariants": [
            "nodes": page.map { variant -> [String: Any] in
                ["id": ShopifyGID.make("ProductVariant", variant.id), "sku": variant.sku.map { $0 as Any } ?? NSNull(), "barcode": variant.barcode.map { $0 as Any } ?? NSNull(),
                 "inventoryItem": ["id": ShopifyGID.make("InventoryItem", variant.inventoryItemId)], "product": ["status": variant.status]]
            },
            "pageInfo": ["hasNextPage": variants.count > first, "endCursor": page.last.map { String($0.id) as Any } ?? NSNull()],
        ]]])
    }

    /// `inventoryItem(id:) { inventoryLevel(locationId:) { quantities(names: ["available"]) } }`: one level, or a null
    /// level when the item is not stocked at the location.
    private func level(variables: [String: Any], domain: String) throws -> Response {
        guard let item = ShopifyGID.number(variables["inventoryItemId"]), let location = ShopifyGID.number(variables["locationId"]) else {
            return Self.json(status: .ok, ["errors": [["message": "inventoryItemId and locationId are required"]]])
        }
        let available = try withShop(domain) { $0.levels[.init(item: item, location: location)] }
        let level: Any = available.map { ["quantities": [["name": "available", "quantity": $0]]] as [String: Any] } ?? NSNull()
        return Self.json(status: .ok, ["data": ["inventoryItem": ["id": ShopifyGID.make("InventoryItem", item), "inventoryLevel": level]]])
    }

    private func setQuantities(query: String, variables: [String: Any], domain: String) throws -> Response {
        guard let input = variables["input"] as? [String: Any], let name = input["name"] as? String,
              let rawQuantities = input["quantities"] as? [[String: Any]] else {
            return Self.json(status: .ok, ["errors": [["message": "Variable $input of type InventorySetQuantitiesInput! was provided invalid value"]]])
        }
        var quantities: [InventorySetQuantities.Quantity] = []
        for raw in rawQuantities {
            guard let item = ShopifyGID.number(raw["inventoryItemId"]), let location = ShopifyGID.number(raw["locationId"]),
                  let quantity = raw["quantity"] as? Int, raw.keys.contains("changeFromQuantity") else {
                return Self.json(status: .ok, ["errors": [["message": "InventoryQuantityInput requires inventoryItemId, locationId, quantity and changeFromQuantity (null to opt out)"]]])
            }
            quantities.append(.init(inventoryItemId: item, locationId: location, quantity: quantity,
                                    changeFromQuantity: raw["changeFromQuantity"] as? Int))
        }
        let key = Self.idempotencyKey(in: query)
        let (result, replayed, edited) = try withShop(domain) { shop in
            let replayed = key.map { shop.idempotentResults[$0] != nil } ?? false
            var edited: [(SimulatedShop.LevelKey, Int)] = []
            if !replayed && shop.faults.staleWrites > 0 {
                // Someone edits the levels first (the stale-write switch), as a merchant in the admin would.
                shop.faults.staleWrites -= 1
                for quantity in quantities {
                    let level = SimulatedShop.LevelKey(item: quantity.inventoryItemId, location: quantity.locationId)
                    guard let current = shop.levels[level] else { continue }
                    shop.levels[level] = current + 1
                    edited.append((level, current + 1))
                }
            }
            return (InventorySetQuantities.apply(quantities, name: name, idempotencyKey: key, to: &shop), replayed, edited)
        }
        for (level, available) in edited {
            emitLevelUpdate(domain: domain, item: level.item, location: level.location, available: available)
        }
        if !replayed, let observer = levelObserver.withLock({ $0 }) {
            for change in result.changes {
                observer.notify(LevelChange(domain: domain, inventoryItemID: change.itemId, locationID: change.locationId,
                                            available: change.quantityAfterChange))
            }
        }
        if !replayed {
            for change in result.changes where change.delta != 0 {
                emitLevelUpdate(domain: domain, item: change.itemId, location: change.locationId, available: change.quantityAfterChange)
            }
        }
        let group: Any = result.groupID.map { id -> [String: Any] in
            ["id": ShopifyGID.make("InventoryAdjustmentGroup", Int64(id)),
             "changes": result.changes.map { ["name": $0.name, "delta": $0.delta, "quantityAfterChange": $0.quantityAfterChange] }]
        } ?? NSNull()
        return Self.json(status: .ok, ["data": ["inventorySetQuantities": [
            "inventoryAdjustmentGroup": group,
            "userErrors": result.userErrors.map { ["code": $0.code, "field": $0.field, "message": $0.message] },
        ]]])
    }


    /// The key of an `@idempotent(key: "…")` directive. Read by hand: a regex literal is parsed again on every
    /// evaluation, which showed in the benchmark's profile.
    static func idempotencyKey(in query: String) -> String? {
        guard let directive = query.range(of: "@idempotent(") else { return nil }
        var rest = query[directive.upperBound...].drop { $0.isWhitespace }
        guard rest.hasPrefix("key") else { return nil }
        rest = rest.dropFirst(3).drop { $0.isWhitespace }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0.isWhitespace }
        guard rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") else { return nil }
        let key = rest[rest.index(after: rest.startIndex)..<close]
        guard !key.isEmpty, rest[rest.index(after: close)...].drop(while: { $0.isWhitespace }).first == ")" else { return nil }
        return String(key)
    }

    /// Sends `inventory_levels/update` for a level that changed.
    func emitLevelUpdate(domain: String, item: Int64, location: Int64, available: Int) {
        let stamp = Self.timestamp()
        emit(topic: "inventory_levels/update", domain: domain, body: [
            "inventory_item_id": item, "location_id": location, "available": available, "updated_at": stamp,
            "admin_graphql_api_id": "gid://shopify/InventoryLevel/\(item)?inventory_item_id=\(item)",
        ], triggeredAt: stamp)
    }

    /// Sends one webhook of `topic`, if the shop has a webhook URL, under the shop's delivery fault switches.
    func emit(topic: String, domain: String, body: [String: Any], triggeredAt stamp: String) {
        guard let (url, version, secret, faults) = shops.withLock({ shops -> (String, String, String, SimulatedShop.Faults)? in
            guard let shop = shops[domain], let url = shop.webhookURL else { return nil }
            return (url, shop.webhookAPIVersion, shop.webhookSecret, shop.faults)
        }) else { return }
        let data = (try? JSONText.data(body)) ?? Data()
        outbox.send(.init(url: url, apiVersion: version, domain: domain, secret: secret, topic: topic, body: data,
                          webhookID: UUID().uuidString.lowercased(), eventID: UUID().uuidString.lowercased(), triggeredAt: stamp),
                    duplicate: faults.duplicateWebhooks, outOfOrder: faults.outOfOrderWebhooks,
                    retryBase: .milliseconds(faults.webhookRetryMilliseconds))
    }

    /// Now, with Shopify's sub-millisecond precision (its X-Shopify-Triggered-At carries nanoseconds).
    static func timestamp() -> String { Date().rfc3339Microseconds }

    static func json(status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONText.data(object)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A shop as the control API creates it.
struct ShopSpec: Decodable {
    let domain: String
    let accessToken: String
    let webhookSecret: String
    let webhookUrl: String?
    let locations: [SimulatedShop.Location]?
    let variants: [SimulatedShop.Variant]?
    let levels: [LevelSpec]?

    var shop: SimulatedShop {
        var shop = SimulatedShop(domain: domain, accessToken: accessToken, webhookSecret: webhookSecret)
        shop.webhookURL = webhookUrl
        shop.locations = locations ?? []
        shop.variants = variants ?? []
        for level in levels ?? [] { shop.levels[.init(item: level.inventoryItemId, location: level.locationId)] = level.available }
        return shop
    }
}

struct LevelSpec: Codable, ResponseEncodable {
    let inventoryItemId: Int64
    let locationId: Int64
    let available: Int
}

struct WebhookTarget: Decodable {
    let url: String?
    /// The subscription's API version (the shop's pinned one, 2026-07, when left out).
    let apiVersion: String?
}

struct ShopStats: Codable, ResponseEncodable {
    let calls: Int
    let webhooksDelivered: Int
    let webhookFailedAttempts: Int
    let webhooksAbandoned: Int
    let webhooksInFlight: Int
}
