import Foundation
import StockyardCore

/// One storefront location and what it maps to in the warehouse (issue 6, item 2).
public struct StorefrontLocation: Sendable, Codable, Equatable {
    public let id: Int64
    public let shopId: Int64
    /// The storefront's own id for the location.
    public let externalId: Int64
    public let name: String
    public let kind: StorefrontLocationKind?
    /// The mapped warehouse location; its whole internal subtree counts.
    public let locationId: Int64?
    public let locationCompleteName: String?
    public let sync: StorefrontLocationSync
    public let buffer: Int
    public let notes: String
    /// Overrides the shop's inventory direction for this location.
    public let direction: InventoryDirection?
    /// False once the storefront no longer lists the location.
    public let active: Bool
    public let updatedAt: Date
}

/// A location as the storefront lists it, for the import.
public struct ListedStorefrontLocation: Sendable, Equatable {
    public let externalId: Int64
    public let name: String

    public init(externalId: Int64, name: String) {
        self.externalId = externalId
        self.name = name
    }
}

/// The map's fields a client sets; each left `.absent` stays.
public struct StorefrontLocationChanges: Sendable {
    public var kind: Patch<StorefrontLocationKind> = .absent
    public var locationId: Patch<Int64> = .absent
    public var sync: Patch<StorefrontLocationSync> = .absent
    public var buffer: Patch<Int> = .absent
    public var notes: Patch<String> = .absent
    public var direction: Patch<InventoryDirection> = .absent

    public init() {}
}
