import Foundation
import StockyardCore

/// What is at a location (Odoo's `stock.quant`): on hand, reserved, and what is left to reserve.
public struct Quant: Sendable, Codable, Equatable {
    public let id: Int64
    public let productId: Int64
    public let locationId: Int64
    public let quantity: Decimal
    public let reservedQuantity: Decimal
    public let inDate: Date

    /// `quantity − reserved_quantity`: what a new reservation may still take.
    public var availableQuantity: Decimal { quantity - reservedQuantity }

    enum CodingKeys: String, CodingKey { case id, productId, locationId, quantity, reservedQuantity, availableQuantity, inDate }

    public init(id: Int64, productId: Int64, locationId: Int64, quantity: Decimal, reservedQuantity: Decimal, inDate: Date) {
        self.id = id
        self.productId = productId
        self.locationId = locationId
        self.quantity = quantity
        self.reservedQuantity = reservedQuantity
        self.inDate = inDate
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try container.decode(Int64.self, forKey: .id), productId: try container.decode(Int64.self, forKey: .productId),
                  locationId: try container.decode(Int64.self, forKey: .locationId),
                  quantity: try container.decode(Decimal.self, forKey: .quantity),
                  reservedQuantity: try container.decode(Decimal.self, forKey: .reservedQuantity),
                  inDate: try container.decode(Date.self, forKey: .inDate))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(productId, forKey: .productId)
        try container.encode(locationId, forKey: .locationId)
        try container.encode(quantity, forKey: .quantity)
        try container.encode(reservedQuantity, forKey: .reservedQuantity)
        try container.encode(availableQuantity, forKey: .availableQuantity)
        try container.encode(inDate, forKey: .inDate)
    }
}

/// A move of one product between two locations (Odoo's `stock.move`).
public struct StockMove: Sendable, Codable, Equatable {
    public let id: Int64
    public let reference: String
    public let origin: String?
    public let productId: Int64
    public let productUomQty: Decimal
    public let quantity: Decimal
    public let locationId: Int64
    public let locationDestId: Int64
    public let state: MoveState
    public let procureMethod: String
    public let isInventory: Bool
    public let date: Date
    public let pickingId: Int64?
    public let pickingTypeId: Int64?
    public let groupId: Int64?
    /// The moves this one takes from, and the moves that take from it.
    public let moveOrigIds: [Int64]
    public let moveDestIds: [Int64]
}

/// The result of an inventory adjustment: the quant after it, and the move that explains it (nil when the
/// count matched and nothing moved).
public struct AdjustmentResult: Sendable, Codable, Equatable {
    public let quant: Quant
    public let move: StockMove?
}

/// List filters for quants.
public struct QuantFilter: Sendable {
    public var productId: Int64?
    /// Quants at this location or anywhere below it.
    public var childOf: Int64?

    public init(productId: Int64? = nil, childOf: Int64? = nil) {
        self.productId = productId
        self.childOf = childOf
    }
}
