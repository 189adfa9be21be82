import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore

/// A storefront-side change the direction rule accepts: the warehouse takes the storefront's own delta (what it
/// holds now less what was last seen there), as an inventory adjustment at the mapped location, so changes made on
/// both sides since the last sync both count. The quant trigger then republishes where needed.
enum StorefrontInventoryChanges {
    /// Whether the warehouse can take a storefront change at this location: stock is adjusted at an internal
    /// location, never at a view.
    static func canAdjust(_ target: PushTarget) -> Bool { target.mappedLocationUsage == LocationUsage.internal.rawValue }

    /// Applies the storefront's delta to the warehouse and records the level as seen, with the level's row locked
    /// and re-read, so a change already taken (by the webhook of the same edit, or a newer one) is not taken twice.
    /// Check `canAdjust` first.
    static func adjustWarehouse(_ target: PushTarget, to reported: Int, at: Date, source: LevelSource, company: Int64,
                                database: Database, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await InventoryLevelRepository.lock(storefrontLocation: target.level.storefrontLocationId, variant: target.level.variantId,
                                                company: company, on: connection, logger: logger)
        let level = try await InventoryLevelRepository.pushTarget(storefrontLocation: target.level.storefrontLocationId,
                                                                  product: target.level.productId, company: company,
                                                                  on: connection, logger: logger)?.level ?? target.level
        if let seenAt = level.lastSeenAt, seenAt >= at { return 0 }
        let delta = reported - (level.lastSeen ?? level.computed)
        if delta != 0 {
            _ = try await QuantRepository(database: database).adjust(product: level.productId, location: target.mappedLocationId,
                                                                      adjustment: .delta(Decimal(delta)), company: company, logger: logger)
        }
        try await InventoryLevelRepository.recordSeen(reported, at: at, source: source, storefrontLocation: level.storefrontLocationId,
                                                      variant: level.variantId, company: company, on: connection, logger: logger)
        return delta
    }
}
