import Foundation

/// Shopify's `inventorySetQuantities` as the simulator applies it: compare-and-set on `available` per (item,
/// location) with `changeFromQuantity`, all or nothing, at most 250 quantities, replayable by idempotency key.
enum InventorySetQuantities {
    struct Quantity: Sendable, Equatable {
        let inventoryItemId: Int64
        let locationId: Int64
        let quantity: Int
        /// nil: the caller opted out of the compare (an explicit null).
        let changeFromQuantity: Int?
    }

    struct Change: Sendable, Codable, Equatable {
        let name: String
        let delta: Int
        let quantityAfterChange: Int
        let itemId: Int64
        let locationId: Int64
    }

    struct UserError: Sendable, Codable, Equatable {
        let code: String
        let field: [String]
        let message: String
    }

    struct Result: Sendable, Equatable {
        let groupID: Int?
        let changes: [Change]
        let userErrors: [UserError]
    }

    static let maximumQuantities = 250
    static let maximumLevel = 1_000_000_000

    /// Applies `quantities` to `shop` unless any fails; a known `idempotencyKey` returns its first result unchanged.
    static func apply(_ quantities: [Quantity], name: String, idempotencyKey: String?, to shop: inout SimulatedShop) -> Result {
        if let idempotencyKey, let earlier = shop.idempotentResults[idempotencyKey] { return earlier }
        var errors: [UserError] = []
        if name != "available" {
            errors.append(UserError(code: "INVALID_NAME", field: ["input", "name"], message: "only 'available' can be set"))
        }
        if quantities.count > maximumQuantities {
            errors.append(UserError(code: "TOO_MANY_QUANTITIES", field: ["input", "quantities"],
                                    message: "at most \(maximumQuantities) quantities per call"))
        }
        for (index, quantity) in quantities.enumerated() {
            let field = ["input", "quantities", String(index)]
            let key = SimulatedShop.LevelKey(item: quantity.inventoryItemId, location: quantity.locationId)
            guard let current = shop.levels[key] else {
                errors.append(UserError(code: "ITEM_NOT_STOCKED_AT_LOCATION", field: field + ["locationId"],
                                        message: "The specified inventory item is not stocked at the location."))
                continue
            }
            if quantity.quantity < 0 {
                errors.append(UserError(code: "INVALID_QUANTITY_NEGATIVE", field: field + ["quantity"], message: "The quantity can't be negative."))
            } else if quantity.quantity > maximumLevel {
                errors.append(UserError(code: "INVALID_QUANTITY_TOO_HIGH", field: field + ["quantity"], message: "The quantity is too high."))
            }
            if let expected = quantity.changeFromQuantity, expected != current {
                errors.append(UserError(code: "CHANGE_FROM_QUANTITY_STALE", field: field + ["changeFromQuantity"],
                                        message: "The compareQuantity argument no longer matches the persisted quantity."))
            }
        }
        let result: Result
        if errors.isEmpty {
            var changes: [Change] = []
            for quantity in quantities {
                let key = SimulatedShop.LevelKey(item: quantity.inventoryItemId, location: quantity.locationId)
                let before = shop.levels[key] ?? 0
                shop.levels[key] = quantity.quantity
                changes.append(Change(name: "available", delta: quantity.quantity - before, quantityAfterChange: quantity.quantity,
                                      itemId: quantity.inventoryItemId, locationId: quantity.locationId))
            }
            shop.adjustmentGroups += 1
            result = Result(groupID: shop.adjustmentGroups, changes: changes, userErrors: [])
        } else {
            result = Result(groupID: nil, changes: [], userErrors: errors)
        }
        if let idempotencyKey { shop.idempotentResults[idempotencyKey] = result }
        return result
    }
}
