import Foundation

/// One storefront as the simulator keeps it: its locations, variants (with their inventory items) and the
/// `available` level per (item, location), plus what `inventorySetQuantities` needs to be idempotent.
struct SimulatedShop: Sendable {
    struct Location: Sendable, Codable, Equatable {
        let id: Int64
        var name: String
    }

    struct Variant: Sendable, Codable, Equatable {
        let id: Int64
        var sku: String?
        var barcode: String?
        let inventoryItemId: Int64
        /// ACTIVE, DRAFT or ARCHIVED (the product's status).
        var status: String
    }

    struct LevelKey: Hashable, Sendable {
        let item: Int64
        let location: Int64
    }

    let domain: String
    var accessToken: String
    var webhookSecret: String
    /// Where webhooks go (Stockyard's `/v1/webhooks/shopify`); none are sent without one.
    var webhookURL: String?
    /// The API version the webhook subscription was made with, sent as `X-Shopify-API-Version`.
    var webhookAPIVersion = "2026-07"
    var locations: [Location] = []
    var variants: [Variant] = []
    var levels: [LevelKey: Int] = [:]
    /// Responses of `inventorySetQuantities` by idempotency key: a replay returns the first and changes nothing.
    var idempotentResults: [String: InventorySetQuantities.Result] = [:]
    var adjustmentGroups = 0
    /// Orders placed so far (their numbers and ids follow from it).
    var orders = 0
    /// Storefront calls answered (for the benchmarks' calls per change).
    var calls = 0
    var faults = Faults()

    /// Fault switches, settable through the control API (../shared/acceptance/storefront_protocol.md).
    struct Faults: Sendable, Codable, Equatable {
        var latencyMilliseconds: Int = 0
        /// Share of calls answered 502, 0...1.
        var serverErrorRate: Double = 0
        /// The next N calls get 429 with Retry-After.
        var tooManyRequests: Int = 0
        var retryAfterSeconds: Int = 1
        /// The next N calls get a THROTTLED GraphQL error.
        var throttled: Int = 0
        /// Every webhook is delivered twice (same webhook and event ids).
        var duplicateWebhooks = false
        /// Each webhook is held until the next one has been sent (or 300 ms pass).
        var outOfOrderWebhooks = false
        /// The next N delivery attempts fail (sent with a wrong signature, so the receiver refuses them), then are retried.
        var failingWebhookDeliveries: Int = 0
        /// The first retry's wait; each further retry doubles it (Shopify: minutes to hours).
        var webhookRetryMilliseconds: Int = 200
        /// The next N `inventorySetQuantities` calls find their levels edited by someone just before (each one more
        /// than it was, with its inventory_levels/update sent), so a compare-and-set against the old value is stale.
        var staleWrites: Int = 0

        init() {}

        /// Switches left out of a control request are off.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            latencyMilliseconds = try c.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? 0
            serverErrorRate = try c.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? 0
            tooManyRequests = try c.decodeIfPresent(Int.self, forKey: .tooManyRequests) ?? 0
            retryAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 1
            throttled = try c.decodeIfPresent(Int.self, forKey: .throttled) ?? 0
            duplicateWebhooks = try c.decodeIfPresent(Bool.self, forKey: .duplicateWebhooks) ?? false
            outOfOrderWebhooks = try c.decodeIfPresent(Bool.self, forKey: .outOfOrderWebhooks) ?? false
            failingWebhookDeliveries = try c.decodeIfPresent(Int.self, forKey: .failingWebhookDeliveries) ?? 0
            webhookRetryMilliseconds = try c.decodeIfPresent(Int.self, forKey: .webhookRetryMilliseconds) ?? 200
            staleWrites = try c.decodeIfPresent(Int.self, forKey: .staleWrites) ?? 0
        }
    }
}
