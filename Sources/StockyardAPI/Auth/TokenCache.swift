import Foundation
import StockyardCore
import Synchronization

/// Resolved tokens kept in memory so most requests skip a database round trip.
///
/// It answers only while `TokenChangeListener` is connected (it fails closed: no listener, no cache), drops a
/// token when Postgres says it changed (revoked, re-dated, deleted), checks expiry itself, and keeps an entry
/// at most `timeToLive`. A lookup that raced an invalidation is not stored (the generation moved).
public final class TokenCache: Sendable {
    struct Entry {
        let principal: Principal
        let storedAt: ContinuousClock.Instant
    }
    struct State {
        var entries: [String: Entry] = [:]   // by token hash, hex
        var generation: UInt64 = 0
        var listening = false
    }

    private let state = Mutex(State())
    let timeToLive: Duration
    let capacity: Int

    public init(timeToLive: Duration = .seconds(30), capacity: Int = 10_000) {
        self.timeToLive = timeToLive
        self.capacity = capacity
    }

    /// The cached principal for `hash`, if the cache may answer and the entry is still good.
    func principal(forHash hash: String, now: Date = Date()) -> Principal? {
        state.withLock { state in
            guard state.listening, let entry = state.entries[hash] else { return nil }
            if let expiresAt = entry.principal.expiresAt, expiresAt <= now { state.entries[hash] = nil; return nil }
            if ContinuousClock.now - entry.storedAt > timeToLive { state.entries[hash] = nil; return nil }
            return entry.principal
        }
    }

    /// Whether the cache may answer (its listener is connected).
    public var isListening: Bool { state.withLock { $0.listening } }

    /// The generation to pass to `store` after a database lookup.
    func generation() -> UInt64 { state.withLock { $0.generation } }

    /// Stores a lookup made at `generation`, unless something was invalidated since.
    func store(_ principal: Principal, hash: String, generation: UInt64) {
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[hash] = Entry(principal: principal, storedAt: .now)
        }
    }

    /// A token changed in the database: forget it.
    func invalidate(hash: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries[hash] = nil
        }
    }

    /// The listener connected (`true`) or lost its connection (`false`); either way, start empty.
    func setListening(_ listening: Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll()
            state.listening = listening
        }
    }
}
