import Foundation
import StockyardCore

/// One (storefront location, linked product) as the availability API and the push see it: the free stock under the
/// mapped location, the buffer, and what was last published to and seen at the storefront.
public struct InventoryLevel: Sendable, Codable, Equatable {
    public let shopId: Int64
    public let storefrontLocationId: Int64
    public let storefrontLocationName: String
    public let externalLocationId: Int64
    public let variantId: Int64
    public let inventoryItemId: Int64
    public let productId: Int64
    public let sku: String?
    public let onHand: Decimal
    public let reserved: Decimal
    public let buffer: Int
    /// What Stockyard would publish now (`Availability.publishable`).
    public let computed: Int
    public let lastPublished: Int?
    public let lastPublishedAt: Date?
    public let lastSeen: Int?
    public let lastSeenAt: Date?
}

/// What `InventoryLevelRepository.lock` reads with the lock: enough to drop a stale event or recognise an echo
/// of our own write without computing availability.
public struct LockedLevel: Sendable, Equatable {
    public let lastPublished: Int?
    public let lastSeen: Int?
    public let lastSeenAt: Date?

    public init(lastPublished: Int?, lastSeen: Int?, lastSeenAt: Date?) {
        self.lastPublished = lastPublished
        self.lastSeen = lastSeen
        self.lastSeenAt = lastSeenAt
    }

    /// Whether a report of `reported` is our own last write coming back (`InventoryDirection.isOwnEcho`).
    public func isEcho(of reported: Int) -> Bool {
        InventoryDirection.isOwnEcho(reported: reported, lastPublished: lastPublished, lastSeen: lastSeen)
    }
}

/// What an `inventory.push` works from: the level, and how the location takes storefront changes.
public struct PushTarget: Sendable {
    public let level: InventoryLevel
    /// The location's direction override, or the shop's direction.
    public let direction: InventoryDirection
    /// Enabled, in a live shop, and not storefront-driven: its levels follow the warehouse.
    public let isPublishing: Bool
    /// The mapped warehouse location, where a storefront-driven change becomes an inventory adjustment.
    public let mappedLocationId: Int64
    public let mappedLocationUsage: String
}

/// Where a level's `last_seen` came from.
public enum LevelSource: String, Sendable {
    case push, read, webhook, reconcile
}

/// The storefront location and variant a webhook names, as far as the shop knows them.
public struct WebhookSubject: Sendable {
    public let storefrontLocation: Int64?
    public let sync: StorefrontLocationSync?
    public let variant: Int64?
    public let product: Int64?
}
