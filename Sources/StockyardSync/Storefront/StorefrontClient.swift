import AsyncHTTPClient
import Foundation
import StockyardCore
import NIOCore
import NIOHTTP1

/// Stockyard's side of Shopify's Admin GraphQL API (../shared/acceptance/storefront_protocol.md), pointed per shop at
/// a base URL (the real storefront, or `StorefrontSimulator`). Answers what happened in terms a job can act on:
/// applied, a stale compare, rejected, or a failure to retry later (throttled, 429, 5xx, transport).
public struct StorefrontClient: Sendable {
    public struct Credentials: Sendable {
        /// `https://name.myshopify.com` for Shopify; the simulator's `/shops/{domain}` URL for tests.
        public var baseURL: String
        public var apiVersion: String
        public var accessToken: String

        public init(baseURL: String, apiVersion: String = "2026-07", accessToken: String) {
            self.baseURL = baseURL
            self.apiVersion = apiVersion
            self.accessToken = accessToken
        }
    }

    /// One level to write: `available` of an inventory item at a location, compared against what we believe is there.
    public struct LevelWrite: Sendable, Equatable {
        public let inventoryItemID: Int64
        public let locationID: Int64
        public let quantity: Int
        /// What we believe the storefront holds now; nil sends an explicit null (no compare).
        public let changeFrom: Int?

        public init(inventoryItemID: Int64, locationID: Int64, quantity: Int, changeFrom: Int?) {
            self.inventoryItemID = inventoryItemID
            self.locationID = locationID
            self.quantity = quantity
            self.changeFrom = changeFrom
        }
    }

    public struct UserError: Sendable, Equatable {
        public let code: String
        public let message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public enum SetOutcome: Sendable, Equatable {
        case applied(groupID: String)
        /// Someone changed the level since we last saw it (CHANGE_FROM_QUANTITY_STALE): read it, then decide.
        case stale
        case rejected([UserError])
    }

    public enum Failure: Error, Equatable {
        /// THROTTLED or 429: try again after this long.
        case throttled(retryAfter: Duration)
        case unavailable(status: Int)
        case unauthorized
        case malformed(String)
        case transport(String)
    }

    static let setQuantitiesDocument = """
        mutation SetLevels($input: InventorySetQuantitiesInput!) {
          inventorySetQuantities(input: $input) @idempotent(key: "%KEY%") {
            inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } }
            userErrors { code field message }
          }
        }
        """

    let http: HTTPClient
    let timeout: TimeAmount
    /// Shared by every copy of this client (one per runner process): a shop's wait applies to all its calls.
    let throttle = StorefrontThrottle()

    public init(http: HTTPClient = .shared, timeout: TimeAmount = .seconds(5)) {
        self.http = http
        self.timeout = timeout
    }

    /// Sets `available` for up to 250 levels in one call; `idempotencyKey` (one per logical write, reused on retry)
    /// makes a retried call change nothing twice.
    public func setAvailable(_ levels: [LevelWrite], idempotencyKey: String, reference: String,
                             credentials: Credentials) async throws(Failure) -> SetOutcome {
        // Checked by hand: a regex literal is parsed again on every evaluation, which showed in the push's profile.
        guard (1...100).contains(idempotencyKey.utf8.count),
              idempotencyKey.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x5F || $0 == 0x2D })
        else { throw .malformed("idempotency key \(idempotencyKey)") }
        guard (1...250).contains(levels.count) else { throw .malformed("inventorySetQuantities takes 1 to 250 quantities, not \(levels.count)") }
        let quantities: [[String: Any]] = levels.map { level in
            ["inventoryItemId": ShopifyGID.make("InventoryItem", level.inventoryItemID),
             "locationId": ShopifyGID.make("Location", level.locationID),
             "quantity": level.quantity,
             "changeFromQuantity": level.changeFrom.map { $0 as Any } ?? NSNull()]
        }
        let body: [String: Any] = [
            "query": Self.setQuantitiesDocument.replacingOccurrences(of: "%KEY%", with: idempotencyKey),
            "variables": ["input": ["name": "available", "reason": "correction", "referenceDocumentUri": reference,
                                    "quantities": quantities]],
        ]
        let response = try await post(body, credentials: credentials)
        let result = ((response["data"] as? [String: Any])?["inventorySetQuantities"] as? [String: Any]) ?? [:]
        let errors = (result["userErrors"] as? [[String: Any]] ?? []).map {
            UserError(code: $0["code"] as? String ?? "", message: $0["message"] as? String ?? "")
        }
        if !errors.isEmpty {
            return errors.allSatisfy { $0.code == "CHANGE_FROM_QUANTITY_STALE" } ? .stale : .rejected(errors)
        }
        guard let group = result["inventoryAdjustmentGroup"] as? [String: Any], let id = group["id"] as? String else {
            throw .malformed("no inventoryAdjustmentGroup in the answer")
        }
        return .applied(groupID: id)
    }

    public struct StorefrontLocation: Sendable, Equatable {
        public let id: Int64
        public let name: String
    }

    public struct Variant: Sendable, Equatable {
        public let id: Int64
        public let sku: String?
        public let barcode: String?
        public let inventoryItemID: Int64
        /// The product's status: ACTIVE, DRAFT or ARCHIVED.
        public let status: String
    }

    /// `available` of one item at one location; nil when the item is not stocked there.
    public func available(inventoryItemID: Int64, locationID: Int64, credentials: Credentials) async throws(Failure) -> Int? {
        let query = """
            query Level($inventoryItemId: ID!, $locationId: ID!) {
              inventoryItem(id: $inventoryItemId) {
                inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
              }
            }
            """
        let response = try await post(["query": query, "variables": ["inventoryItemId": ShopifyGID.make("InventoryItem", inventoryItemID),
                                                                     "locationId": ShopifyGID.make("Location", locationID)]],
                                      credentials: credentials)
        let item = (response["data"] as? [String: Any])?["inventoryItem"] as? [String: Any]
        guard let level = item?["inventoryLevel"] as? [String: Any] else { return nil }
        let quantities = level["quantities"] as? [[String: Any]] ?? []
        guard let available = quantities.first(where: { $0["name"] as? String == "available" })?["quantity"] as? Int else {
            throw .malformed("an inventory level without an available quantity")
        }
        return available
    }

    /// Every location of the shop, page by page (for the location map's import, which retires locations it does
    /// not list, so a partial list must never pass for the whole).
    public func locations(credentials: Credentials, pageSize: Int = 250) async throws(Failure) -> [StorefrontLocation] {
        let query = "query Locations($first: Int!, $after: String) { locations(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } } }"
        return try await allNodes(query, of: "locations", pageSize: pageSize, credentials: credentials).map { node throws(Failure) in
            guard let id = ShopifyGID.number(node["id"]), let name = node["name"] as? String else { throw .malformed("a location without id or name") }
            return StorefrontLocation(id: id, name: name)
        }
    }

    /// Every variant of the shop, page by page (for the product links' import).
    public func variants(credentials: Credentials, pageSize: Int = 250) async throws(Failure) -> [Variant] {
        let query = """
            query Variants($first: Int!, $after: String) {
              productVariants(first: $first, after: $after) {
                nodes { id sku barcode inventoryItem { id } product { status } }
                pageInfo { hasNextPage endCursor }
              }
            }
            """
        return try await allNodes(query, of: "productVariants", pageSize: pageSize, credentials: credentials).map { node throws(Failure) in
            guard let id = ShopifyGID.number(node["id"]),
                  let item = ShopifyGID.number((node["inventoryItem"] as? [String: Any])?["id"]) else {
                throw .malformed("a variant without id or inventory item")
            }
            return Variant(id: id, sku: node["sku"] as? String, barcode: node["barcode"] as? String, inventoryItemID: item,
                           status: (node["product"] as? [String: Any])?["status"] as? String ?? "ACTIVE")
        }
    }

    /// The nodes of a paged connection (`first`/`after` and `pageInfo`), every page of them.
    private func allNodes(_ query: String, of connection: String, pageSize: Int,
                          credentials: Credentials) async throws(Failure) -> [[String: Any]] {
        var nodes: [[String: Any]] = []
        var after: String?
        repeat {
            let response = try await post(["query": query, "variables": ["first": pageSize, "after": after.map { $0 as Any } ?? NSNull()]],
                                          credentials: credentials)
            let page = ((response["data"] as? [String: Any])?[connection] as? [String: Any]) ?? [:]
            nodes += page["nodes"] as? [[String: Any]] ?? []
            let info = page["pageInfo"] as? [String: Any] ?? [:]
            after = (info["hasNextPage"] as? Bool ?? false) ? info["endCursor"] as? String : nil
        } while after != nil
        return nodes
    }

    /// One GraphQL call; HTTP and GraphQL-level failures become `Failure`s. A shop that said to wait is not called
    /// until the wait is over.
    func post(_ body: [String: Any], credentials: Credentials) async throws(Failure) -> [String: Any] {
        if let wait = throttle.remaining(credentials.baseURL) { throw .throttled(retryAfter: wait) }
        do {
            return try await send(body, credentials: credentials)
        } catch .throttled(let wait) {
            throttle.hold(credentials.baseURL, for: wait)
            throw .throttled(retryAfter: wait)
        }
    }

    private func send(_ body: [String: Any], credentials: Credentials) async throws(Failure) -> [String: Any] {
        var request = HTTPClientRequest(url: "\(credentials.baseURL)/admin/api/\(credentials.apiVersion)/graphql.json")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Shopify-Access-Token", value: credentials.accessToken)
        do {
            request.body = .bytes(ByteBuffer(data: try JSONText.data(body)))
        } catch {
            throw .malformed("cannot encode the request: \(error)")
        }
        let status: Int
        let headers: HTTPHeaders
        let data: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = Int(response.status.code)
            headers = response.headers
            data = try await response.body.collect(upTo: 8 << 20)
        } catch {
            throw .transport(String(describing: error))
        }
        switch status {
        case 200..<300: break
        case 401, 403: throw .unauthorized
        case 429: throw .throttled(retryAfter: Self.boundedWait(seconds: Double(headers.first(name: "Retry-After") ?? "") ?? 1))
        case 500...: throw .unavailable(status: status)
        default: throw .malformed("HTTP \(status)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: Any] else {
            throw .malformed("the answer is not a JSON object")
        }
        if let errors = object["errors"] as? [[String: Any]], !errors.isEmpty {
            if errors.contains(where: { ($0["extensions"] as? [String: Any])?["code"] as? String == "THROTTLED" }) {
                throw .throttled(retryAfter: Self.throttleWait(object))
            }
            throw .malformed(errors.compactMap { $0["message"] as? String }.joined(separator: "; "))
        }
        return object
    }

    /// How long until the cost bucket holds what the call asked for (at least 100 ms, 1 s when not said).
    static func throttleWait(_ object: [String: Any]) -> Duration {
        guard let cost = (object["extensions"] as? [String: Any])?["cost"] as? [String: Any],
              let status = cost["throttleStatus"] as? [String: Any],
              let available = status["currentlyAvailable"] as? Double, let rate = status["restoreRate"] as? Double, rate > 0 else {
            return .seconds(1)
        }
        let requested = cost["requestedQueryCost"] as? Double ?? 10
        return boundedWait(seconds: max(0.1, max(0, requested - available) / rate))
    }

    /// A wait the storefront asked for, kept within 0…1 hour (an absurd or non-finite figure must not trap or stall).
    static func boundedWait(seconds: Double) -> Duration {
        guard seconds.isFinite else { return .seconds(3600) }
        return .milliseconds(Int(min(max(seconds, 0), 3600) * 1000))
    }
}
