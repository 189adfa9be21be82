import Foundation

/// Which side's inventory wins for a shop (or one of its locations), and what to do with a level change the
/// storefront reports (issue 6, items 1 and 6).
public enum InventoryDirection: String, Sendable, Codable, CaseIterable {
    case warehouseToShop = "warehouse_to_shop"
    case shopToWarehouse = "shop_to_warehouse"
    case bidirectional

    /// What a storefront-reported level means for Stockyard.
    public enum Decision: Sendable, Equatable {
        /// The value Stockyard published itself: nothing to do.
        case ownEcho
        /// Adjust the warehouse to the storefront's value.
        case adjustWarehouse
        /// A change Stockyard does not accept: record drift and publish Stockyard's value again.
        case correctStorefront
    }

    /// The rule for a level the storefront reports at `reportedAt`. The warehouse wins unless the direction lets the
    /// storefront write (`shop_to_warehouse`, or `bidirectional` when the change is newer than the last value
    /// Stockyard published and the location allows storefront writes).
    /// `lastSeen` is the storefront's value as last observed before this report.
    public func decide(reported: Int, reportedAt: Date, lastPublished: Int?, lastPublishedAt: Date?, lastSeen: Int?,
                       locationAllowsShopWrites: Bool) -> Decision {
        if Self.isOwnEcho(reported: reported, lastPublished: lastPublished, lastSeen: lastSeen) { return .ownEcho }
        switch self {
        case .warehouseToShop:
            return .correctStorefront
        case .shopToWarehouse:
            return .adjustWarehouse
        case .bidirectional:
            let newer = lastPublishedAt.map { reportedAt > $0 } ?? true
            return newer && locationAllowsShopWrites ? .adjustWarehouse : .correctStorefront
        }
    }

    /// Whether a reported level is Stockyard's own last write coming back: the value last published, with nothing
    /// else seen since. A storefront that went elsewhere and came back to that value changed twice, and where the
    /// storefront may write, that second change counts too. (The ingest applies the same rule in SQL: migration 0015.)
    public static func isOwnEcho(reported: Int, lastPublished: Int?, lastSeen: Int?) -> Bool {
        lastPublished == reported && lastSeen == lastPublished
    }
}
