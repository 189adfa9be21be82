import Foundation

/// What a storefront location is told it can sell of a product: the free stock under the mapped warehouse location
/// (its whole internal subtree) less the location's buffer, never below zero (issue 6, item 4).
public enum Availability {
    public struct Stock: Sendable, Equatable {
        public let quantity: Decimal
        public let reserved: Decimal

        public init(quantity: Decimal, reserved: Decimal) {
            self.quantity = quantity
            self.reserved = reserved
        }
    }

    /// `max(0, Σ(quantity − reserved) − buffer)`, rounded down to whole units (storefronts count units).
    public static func publishable(_ stock: [Stock], buffer: Int) -> Int {
        let free = stock.reduce(Decimal(0)) { $0 + ($1.quantity - $1.reserved) } - Decimal(buffer)
        guard free > 0 else { return 0 }
        var value = free
        var whole = Decimal()
        NSDecimalRound(&whole, &value, 0, .down)
        return NSDecimalNumber(decimal: whole).intValue
    }
}
