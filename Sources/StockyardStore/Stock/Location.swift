import Foundation
import StockyardCore

/// A place stock can be (Odoo's `stock.location`): a node of the company's location tree.
public struct Location: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    /// "WH/Packing Zone/Packing 1": the parent's complete name and this name (a view location's is its own name).
    public let completeName: String
    /// The parent location, if any.
    public let locationId: Int64?
    /// Ids from the root down, slash-terminated ("1/7/12/"): a subtree is every path with this prefix.
    public let parentPath: String
    public let usage: LocationUsage
    public let barcode: String?
    public let active: Bool
    public let createDate: Date
    public let writeDate: Date
}

/// A new location.
public struct LocationDraft: Sendable {
    public var name: String
    public var locationId: Int64?
    public var usage: LocationUsage
    public var barcode: String?
    public var active: Bool

    public init(name: String, locationId: Int64?, usage: LocationUsage, barcode: String?, active: Bool) {
        self.name = name
        self.locationId = locationId
        self.usage = usage
        self.barcode = barcode
        self.active = active
    }
}

/// Changes to a location; absent fields stay as they are.
public struct LocationChanges: Sendable {
    public var name: Patch<String> = .absent
    public var locationId: Patch<Int64> = .absent
    public var usage: Patch<LocationUsage> = .absent
    public var barcode: Patch<String> = .absent
    public var active: Patch<Bool> = .absent

    public init() {}
}

/// List filters for locations.
public struct LocationFilter: Sendable {
    public var usage: LocationUsage?
    /// Only locations under this one (itself included).
    public var childOf: Int64?
    public var active: Bool?
    public var barcode: String?

    public init(usage: LocationUsage? = nil, childOf: Int64? = nil, active: Bool? = nil, barcode: String? = nil) {
        self.usage = usage
        self.childOf = childOf
        self.active = active
        self.barcode = barcode
    }
}
