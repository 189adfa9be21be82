/// What a location is for (Odoo's `stock.location.usage`). Only `internal` and `transit` locations count as
/// the company's own stock; a `view` location only groups others and can never hold stock.
public enum LocationUsage: String, Sendable, Codable, CaseIterable {
    case view, `internal`, supplier, customer, inventory, transit

    public var canHoldStock: Bool { self != .view }
}
