import Synchronization

/// Shopify limits each shop as one bucket (../shared/acceptance/storefront_protocol.md): once a shop answers 429 or
/// THROTTLED, every call to it waits out the time it gave, not only the call that was told. Calls made meanwhile
/// fail at once with the time left, so their jobs back off without spending the shop's bucket or a runner slot.
final class StorefrontThrottle: Sendable {
    private let heldUntil = Mutex<[String: ContinuousClock.Instant]>([:])

    /// How long calls to `shop` must still wait, if they must.
    func remaining(_ shop: String) -> Duration? {
        let now = ContinuousClock.now
        return heldUntil.withLock { held in
            guard let until = held[shop] else { return nil }
            if until <= now { held[shop] = nil; return nil }
            return now.duration(to: until)
        }
    }

    /// The shop said to wait `wait`: hold every call to it until then (a later hold never shortens an earlier one).
    func hold(_ shop: String, for wait: Duration) {
        let until = ContinuousClock.now + wait
        heldUntil.withLock { held in held[shop] = max(held[shop] ?? until, until) }
    }
}
