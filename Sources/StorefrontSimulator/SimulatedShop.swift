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
    var locations: [Location] = []
    var variants: [Variant] = []
    var levels: [LevelKey: Int] = [:]
    /// Responses of `inventorySetQuantities` by idempotency key: a replay returns the first and changes nothing.
    var idempotentResults: [String: InventorySetQuantities.Result] = [:]
    var adjustmentGroups = 0
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

        init() {}

        /// Switches left out of a control request are off.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            latencyMilliseconds = try c.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? 0
            serverErrorRate = try c.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? 0
            tooManyRequests = try c.decodeIfPresent(Int.self, forKey: .tooManyRequests) ?? 0
            retryAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 1
            throttled = try c.decodeIfPresent(Int.self, forKey: .throttled) ?? 0
        }
    }
}
