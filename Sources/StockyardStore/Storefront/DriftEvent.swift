import Foundation
import StockyardCore

/// A mismatch between what Stockyard would publish and what the storefront holds, classified (issue 6, item 7).
public struct DriftEvent: Sendable, Codable, Equatable {
    public let id: Int64
    public let shopId: Int64
    public let `class`: DriftClass
    public let storefrontLocationId: Int64?
    public let variantId: Int64?
    public let expected: Int?
    public let actual: Int?
    public let detail: String
    public let source: String
    public let occurrences: Int
    public let detectedAt: Date
    public let lastDetectedAt: Date
    public let resolvedAt: Date?
    public let resolution: String?
}

/// A drift to record: seeing the same open (class, location, variant) again updates that record.
public struct DriftObservation: Sendable {
    public let shop: Int64
    public let driftClass: DriftClass
    public let storefrontLocation: Int64?
    public let variant: Int64?
    public let expected: Int?
    public let actual: Int?
    public let detail: String
    /// push, webhook, reconcile or import.
    public let source: String

    public init(shop: Int64, driftClass: DriftClass, storefrontLocation: Int64?, variant: Int64?, expected: Int?, actual: Int?,
                detail: String, source: String) {
        self.shop = shop
        self.driftClass = driftClass
        self.storefrontLocation = storefrontLocation
        self.variant = variant
        self.expected = expected
        self.actual = actual
        self.detail = detail
        self.source = source
    }
}
