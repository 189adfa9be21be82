import Foundation
import StockyardCore

/// How goods come in: straight to stock, through Input, or through Input and Quality Control.
public enum ReceptionSteps: String, Sendable, Codable, CaseIterable {
    case oneStep = "one_step", twoSteps = "two_steps", threeSteps = "three_steps"
}

/// How goods go out: shipped from stock, picked to Output then shipped, or picked, packed and shipped.
public enum DeliverySteps: String, Sendable, Codable, CaseIterable {
    case shipOnly = "ship_only", pickShip = "pick_ship", pickPackShip = "pick_pack_ship"
}

/// A warehouse (Odoo's `stock.warehouse`) with its locations and operation types.
public struct Warehouse: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    public let code: String
    public let receptionSteps: ReceptionSteps
    public let deliverySteps: DeliverySteps
    public let viewLocationId: Int64
    public let lotStockId: Int64
    public let whInputStockLocId: Int64
    public let whQcStockLocId: Int64
    public let whPackStockLocId: Int64
    public let whOutputStockLocId: Int64
    public let inTypeId: Int64
    public let outTypeId: Int64
    public let pickTypeId: Int64
    public let packTypeId: Int64
    public let intTypeId: Int64
    public let storeTypeId: Int64
    public let qcTypeId: Int64
    public let createDate: Date
}

/// When a short pick leaves a remainder: ask the operator, always make a backorder, or never (cancel it).
public enum CreateBackorder: String, Sendable, Codable, CaseIterable {
    case ask, always, never
}

/// An operation type (Odoo's `stock.picking.type`).
public struct PickingType: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    public let code: String
    public let sequenceCode: String
    public let defaultLocationSrcId: Int64?
    public let defaultLocationDestId: Int64?
    public let warehouseId: Int64?
    public let createBackorder: CreateBackorder
    public let checkoutSync: Bool
    public let sequence: Int
    public let active: Bool
}

/// A new operation type (a Pick Handover or Pack Post beside a warehouse's own).
public struct PickingTypeDraft: Sendable {
    public var name: String
    public var code: String
    public var sequenceCode: String
    public var warehouseId: Int64?
    public var defaultLocationSrcId: Int64?
    public var defaultLocationDestId: Int64?
    public var createBackorder: CreateBackorder
    public var checkoutSync: Bool
    public var sequence: Int

    public init(name: String, code: String, sequenceCode: String, warehouseId: Int64? = nil, defaultLocationSrcId: Int64? = nil,
                defaultLocationDestId: Int64? = nil, createBackorder: CreateBackorder = .ask, checkoutSync: Bool = false,
                sequence: Int = 10) {
        self.name = name
        self.code = code
        self.sequenceCode = sequenceCode
        self.warehouseId = warehouseId
        self.defaultLocationSrcId = defaultLocationSrcId
        self.defaultLocationDestId = defaultLocationDestId
        self.createBackorder = createBackorder
        self.checkoutSync = checkoutSync
        self.sequence = sequence
    }
}

/// Changes to an operation type; absent fields stay.
public struct PickingTypeChanges: Sendable {
    public var name: Patch<String> = .absent
    public var createBackorder: Patch<CreateBackorder> = .absent
    public var checkoutSync: Patch<Bool> = .absent
    public var active: Patch<Bool> = .absent

    public init() {}
}
