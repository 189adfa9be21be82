import Foundation
import StockyardCore

/// A transfer (Odoo's `stock.picking`) with its moves (`move_ids`).
public struct Picking: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    public let pickingTypeId: Int64
    public let locationId: Int64
    public let locationDestId: Int64
    public let origin: String?
    public let partnerRef: String?
    public let groupId: Int64?
    public let moveType: PickingState.MoveType
    public let scheduledDate: Date
    public let dateDone: Date?
    public let backorderId: Int64?
    public let state: PickingState
    public let createDate: Date
    /// Some move of it feeds a move whose operation type has checkout sync (states ignored).
    public let canSyncToCheckout: Bool
    public let moveIds: [StockMove]
}

/// A move to create in a new transfer; locations default to the transfer's.
public struct MoveDraft: Sendable {
    public var productId: Int64
    public var productUomQty: Decimal
    public var procureMethod: String
    /// Existing moves this one takes from (Odoo's `move_orig_ids`): it waits for them.
    public var moveOrigIds: [Int64]

    public init(productId: Int64, productUomQty: Decimal, procureMethod: String = "make_to_stock", moveOrigIds: [Int64] = []) {
        self.productId = productId
        self.productUomQty = productUomQty
        self.procureMethod = procureMethod
        self.moveOrigIds = moveOrigIds
    }
}

/// A new transfer: its operation type, locations (default: the type's), and moves.
public struct PickingDraft: Sendable {
    public var pickingTypeId: Int64
    public var locationId: Int64?
    public var locationDestId: Int64?
    public var origin: String?
    public var partnerRef: String?
    public var scheduledDate: Date?
    public var moveType: PickingState.MoveType
    public var moves: [MoveDraft]

    public init(pickingTypeId: Int64, locationId: Int64? = nil, locationDestId: Int64? = nil, origin: String? = nil,
                partnerRef: String? = nil, scheduledDate: Date? = nil, moveType: PickingState.MoveType = .direct, moves: [MoveDraft]) {
        self.pickingTypeId = pickingTypeId
        self.locationId = locationId
        self.locationDestId = locationDestId
        self.origin = origin
        self.partnerRef = partnerRef
        self.scheduledDate = scheduledDate
        self.moveType = moveType
        self.moves = moves
    }
}

/// List filters for transfers.
public struct PickingFilter: Sendable {
    public var state: PickingState?
    public var pickingTypeId: Int64?
    public var origin: String?
    public var canSyncToCheckout: Bool?

    public init(state: PickingState? = nil, pickingTypeId: Int64? = nil, origin: String? = nil, canSyncToCheckout: Bool? = nil) {
        self.state = state
        self.pickingTypeId = pickingTypeId
        self.origin = origin
        self.canSyncToCheckout = canSyncToCheckout
    }
}
