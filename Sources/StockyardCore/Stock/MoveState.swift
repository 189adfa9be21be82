/// A stock move's state, as Odoo 17 names them.
public enum MoveState: String, Sendable, Codable, CaseIterable {
    case draft, waiting, confirmed
    case partiallyAvailable = "partially_available"
    case assigned, done, cancel
}
