import StockyardCore

/// Which runbook class a storefront level that differs from what Stockyard would publish falls in, when the
/// reconcile finds it (the push and the webhooks classify what they see themselves).
public enum DriftClassifier {
    public static func classify(_ level: InventoryLevel, storefrontHolds actual: Int) -> DriftClass {
        // The storefront shows stock as if the buffer or the reservations did not count.
        let withoutBuffer = Availability.publishable([.init(quantity: level.onHand, reserved: level.reserved)], buffer: 0)
        let withoutReservations = Availability.publishable([.init(quantity: level.onHand, reserved: 0)], buffer: level.buffer)
        if level.buffer > 0 && actual == withoutBuffer || level.reserved > 0 && actual == withoutReservations { return .bufferReservation }
        // Stockyard has not published the current value yet: the storefront is behind (a push waiting or throttled).
        if level.lastPublished != level.computed { return .storefrontDelay }
        // Stockyard published it, and the storefront changed since without a webhook reaching us.
        return .directionConflict
    }

    public static func explain(_ driftClass: DriftClass, _ level: InventoryLevel, storefrontHolds actual: Int) -> String {
        switch driftClass {
        case .bufferReservation:
            "the storefront holds \(actual), as if the buffer (\(level.buffer)) or the reservations (\(level.reserved)) did not count; \(level.computed) is published"
        case .storefrontDelay:
            "the storefront holds \(actual); \(level.computed) is not published yet (last published: \(level.lastPublished.map(String.init) ?? "never"))"
        default:
            "the storefront holds \(actual) where \(level.computed) was published: changed at the storefront without a webhook reaching Stockyard"
        }
    }
}
