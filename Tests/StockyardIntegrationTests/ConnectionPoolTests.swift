import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import Synchronization
import Testing

/// Stockyard's pool against real Postgres: a fixed number of connections, a dead one replaced on its next
/// lease, waiters served once a connection comes back, a cancelled waiter gone, nothing after shutdown.
@Suite(.timeLimit(.minutes(1))) struct ConnectionPoolTests {
    @Test func itNeverOpensMoreThanItsSizeAndWaitersGetTheConnectionsBack() async throws {
        let environment = try await TestEnvironment.get()
        try await Database.withPool(url: environment.appURL, poolSize: 2, logger: environment.logger) { database in
            let usage = Usage()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await database.withConnection { connection in
                            usage.enter()
                            let pid = try await connection.rows("SELECT pg_backend_pid() FROM pg_sleep(0.05)").collect().first!.decode(Int32.self)
                            usage.leave(backend: pid)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(usage.peak == 2)
            #expect(usage.backends == 2, "two connections, reused")
        }
    }

    @Test func aConnectionKilledByTheServerIsReplacedOnItsNextLease() async throws {
        let environment = try await TestEnvironment.get()
        try await Database.withPool(url: environment.appURL, poolSize: 1, logger: environment.logger) { database in
            let first = try await database.withConnection { try await $0.rows("SELECT pg_backend_pid()").collect().first!.decode(Int32.self) }
            _ = try await environment.owner.collect("SELECT pg_terminate_backend(\(first))")
            // pg_terminate_backend only signals: wait until the server process is gone.
            try await waitUntil {
                try await environment.owner.collect("SELECT count(*)::int FROM pg_stat_activity WHERE pid = \(first)")[0].decode(Int.self) == 0
            }
            // The slot's connection is dead: at most the next query fails (503 in the API), then a new one serves.
            _ = try? await database.withConnection { try await $0.rows("SELECT 1").collect() }
            let second = try await database.withConnection { try await $0.rows("SELECT pg_backend_pid()").collect().first!.decode(Int32.self) }
            #expect(second != first)
        }
    }

    @Test func aCancelledWaiterLeavesTheQueueAndShutdownRefusesNewLeases() async throws {
        let environment = try await TestEnvironment.get()
        let pool = ConnectionPool(url: environment.appURL, size: 1, logger: environment.logger)
        let running = Task { try await pool.run() }
        try await pool.withConnection { _ in
            let waiter = Task { try await pool.withConnection { _ in } }
            try await Task.sleep(for: .milliseconds(50))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
        }
        try await pool.withConnection { _ in }   // the cancelled waiter did not keep the slot
        running.cancel()
        _ = try? await running.value
        await #expect(throws: ConnectionPool.ShutDown.self) { try await pool.withConnection { _ in } }
    }
}

/// How many leases overlapped at most, and how many server processes served them.
private final class Usage: Sendable {
    private let state = Mutex((now: 0, peak: 0, backends: Set<Int32>()))
    func enter() { state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
    func leave(backend: Int32) { state.withLock { $0.now -= 1; $0.backends.insert(backend) } }
    var peak: Int { state.withLock { $0.peak } }
    var backends: Int { state.withLock { $0.backends.count } }
}
