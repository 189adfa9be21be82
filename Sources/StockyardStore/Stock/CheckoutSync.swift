import Foundation
import StockyardCore

/// The checkout-sync assistant as the API shows it (`GET /v1/pickings/{id}/checkout-sync`).
public struct CheckoutSyncView: Sendable, Codable, Equatable {
    public struct Group: Sendable, Codable, Equatable {
        public let destPickingId: Int64
        public let destPickingName: String
        public let moveCount: Int
        public let moveIds: [Int64]
        public let summary: String
        /// done (synced or skipped), current, or pending.
        public let status: String
    }

    /// The group being handled, with what the operator's screen shows of it.
    public struct Current: Sendable, Codable, Equatable {
        public let destPickingId: Int64
        public let destPickingName: String
        public let moves: [Move]
        /// The single destination the group's moves and open lines already share, if any.
        public let suggestedLocationId: Int64?
        /// The destination transfer's operation type's default source and its internal descendants.
        public let allowedLocations: [AllowedLocation]
    }

    public struct Move: Sendable, Codable, Equatable {
        public let id: Int64
        public let productId: Int64
        public let productName: String
        public let productDefaultCode: String?
        public let productUomQty: Decimal
        public let quantity: Decimal
        public let pickingId: Int64?
        public let pickingName: String?
        public let locationId: Int64
        public let locationDestId: Int64
        public let date: Date
        public let state: MoveState
    }

    public struct AllowedLocation: Sendable, Codable, Equatable {
        public let id: Int64
        public let completeName: String
    }

    public let pickingId: Int64
    public let groups: [Group]
    public let current: Current?
    public let done: [Int64]
    public let canSkip: Bool
    public let summary: [String]
}

/// What one sync changed, recorded per sync (`GET /v1/pickings/{id}/checkout-sync/history`).
public struct CheckoutSyncEvent: Sendable, Codable, Equatable {
    public let id: Int64
    public let pickingId: Int64
    public let destPickingId: Int64
    public let locationId: Int64
    /// assistant or scanner.
    public let via: String
    public let tokenId: Int64?
    public let tokenName: String?
    public let moveIds: [Int64]
    public let destMoveIds: [Int64]
    public let moveLineIds: [Int64]
    public let createdAt: Date
}

/// A move line (Odoo's `stock.move.line`): what is reserved or done, from where to where.
public struct MoveLine: Sendable, Codable, Equatable {
    public let id: Int64
    public let moveId: Int64
    public let pickingId: Int64?
    public let productId: Int64
    public let locationId: Int64
    public let locationDestId: Int64
    public let quantity: Decimal
    public let state: MoveState
}
