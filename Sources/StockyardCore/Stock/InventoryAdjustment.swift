import Foundation

/// An inventory adjustment: set the counted quantity at a location (Odoo's `inventory_quantity`) or apply a
/// delta. Either way it becomes one done move from or to the company's `Inventory adjustment` location.
public enum InventoryAdjustment: Sendable, Equatable {
    case counted(Decimal)
    case delta(Decimal)

    /// The change to the on-hand quantity, given what is there now. A count cannot be negative, and an
    /// adjustment cannot leave a negative quantity on hand: a count is what is physically there.
    public func change(from current: Decimal) throws(AppError) -> Decimal {
        switch self {
        case .counted(let counted):
            guard counted >= 0 else {
                throw .invalid(field: "inventory_quantity", detail: "'inventory_quantity' must not be negative")
            }
            return counted - current
        case .delta(let delta):
            guard current + delta >= 0 else {
                throw .invalid(field: "delta", detail: "the adjustment would leave \(current + delta) on hand; quantities on hand cannot go below zero by adjustment")
            }
            return delta
        }
    }

    /// Odoo's quantities have four decimals (`numeric(16,4)`); more precision is refused rather than rounded.
    public static func checkPrecision(_ value: Decimal, field: String) throws(AppError) {
        var scaled = value * 10_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled, abs(value) < 1_000_000_000_000 else {
            throw .invalid(field: field, detail: "'\(field)' must have at most 4 decimals and fewer than 13 integer digits")
        }
    }
}
