import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import Synchronization
import Testing

/// Every lease of the pool has a deadline (decisions D35): past it, or when its task is cancelled, the pool closes
/// the connection, the caller gets a retryable error at once, the server stops the statement, and the next lease
/// gets a new connection. Covers the statements that would otherwise wait forever.
@Suite(.timeLimit(.minutes(1))) struct StatementDeadlineTests {
    static let short = StatementDeadlines(standard: .milliseconds(500), long: .seconds(3))

    @Test func aStatementPastItsDeadlineFailsAndItsConnectionIsReplaced() async throws {
        let environment = try await TestEnvironment.get()
        try await Database.withPool(url: environment.appURL, poolSize: 1, deadlines: Self.short, logger: environment.logger) { database in
            let before = try await database.withConnection { try await Self.backend($0) }
            let started = ContinuousClock.now
            let error = await #expect(throws: StatementDeadlineExceeded.self) {
                try await database.withConnection { connection in
                    _ = try await connection.query("SELECT pg_sleep(30)", logger: environment.logger).collect()
                }
            }
            #expect(started.duration(to: .now) < .seconds(2), "failed at the deadline, not when the statement ended")
            #expect(error.map { DatabaseOutage.covers($0) } == true, "retryable: the API answers 503")
            #expect(database.poolStats.deadlineHitsTotal == 1)
            let after = try await database.withConnection { try await Self.backend($0) }
            #expect(after != before, "the closed connection was replaced")
            // The server noticed its client was gone and stopped the sleep (client_connection_check_interval).
            try await waitUntil(timeout: .seconds(5)) {
                try await environment.owner.collect("SELECT count(*)::int FROM pg_stat_activity WHERE pid = \(before)")[0]
                    .decode(Int.self) == 0
            }
        }
    }

    @Test func aLongLeaseGetsTheLongDeadline() async throws {
        let environment = try await TestEnvironment.get()
        try await Database.withPool(url: environment.appURL, poolSize: 1, deadlines: Self.short, logger: environment.logger) { database in
            try await database.withConnection(deadline: .long) { connection in
                _ = try await connection.query("SELECT pg_sleep(1)", logger: environment.logger).collect()
            }
            #expect(database.poolStats.deadlineHitsTotal == 0)
        }
    }

    @Test func aCancelledLeaseEndsAtOnce() async throws {
        let environment = try await TestEnvironment.get()
        try await Database.withPool(url: environment.appURL, poolSize: 1, logger: environment.logger) { database in
            let leased = Atomic<Bool>(false)
            let sleeping = Task {
                try await database.withConnection { connection in
                    leased.store(true, ordering: .relaxed)
                    _ = try await connection.query("SELECT pg_sleep(30)", logger: environment.logger).collect()
                }
            }
            try await waitUntil { leased.load(ordering: .relaxed) }
            try await Task.sleep(for: .milliseconds(100))
            let cancelled = ContinuousClock.now
            sleeping.cancel()
            await #expect(throws: CancellationError.self) { try await sleeping.value }
            #expect(cancelled.duration(to: .now) < .seconds(1))
            try await database.withConnection { _ = try await $0.query("SELECT 1", logger: environment.logger).collect() }
        }
    }

    /// The case no close can end (decisions D35): a body left waiting for good after its connection closed (here it
    /// waits on a continuation nobody resumes, as PostgresNIO's dropped statement does). Within about a second the
    /// pool gives its slot back, and the caller waiting through `awaitAtMost` gets a retryable error.
    @Test func aLeaseThatNeverReturnsAfterItsConnectionClosedGivesItsSlotBackAndEndsTheWait() async throws {
        let environment = try await TestEnvironment.get()
        try await Database.withPool(url: environment.appURL, poolSize: 1, logger: environment.logger) { database in
            let started = ContinuousClock.now
            await #expect(throws: StatementDeadlineExceeded.self) {
                try await awaitAtMost(.seconds(20)) {
                    try await database.withConnection { connection in
                        let pid = try await Self.backend(connection)
                        _ = try await environment.owner.collect("SELECT pg_terminate_backend(\(pid))")
                        await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }   // never resumed
                    }
                }
            }
            #expect(started.duration(to: .now) < .seconds(5), "given up about a second after the connection closed")
            let answer = try await database.withConnection { connection in
                try await connection.query("SELECT 41 + 1", logger: environment.logger).collect().first!.decode(Int.self)
            }
            #expect(answer == 42, "the pool of one serves again")
        }
    }

    @Test func aListenerWhoseConnectionIsTerminatedListensAgain() async throws {
        let environment = try await TestEnvironment.get()
        let channel = "stockyard_test_\(UInt32.random(in: 0...UInt32.max))"
        let application = "stockyard listener test \(channel)"
        let received = Mutex(0)
        let listening = Atomic<Bool>(false)
        let listener = NotificationListener(url: environment.appURL, channel: channel, applicationName: application,
                                            deadline: .seconds(1), logger: environment.logger)
        let running = Task {
            await listener.run { listening.store($0, ordering: .relaxed) } lost: { _, _ in } notification: { _ in
                received.withLock { $0 += 1 }
            }
        }
        defer { running.cancel() }
        try await waitUntil { listening.load(ordering: .relaxed) }
        _ = try await environment.owner.collect("SELECT pg_notify(\(channel), 'one')")
        try await waitUntil { received.withLock { $0 } == 1 }
        _ = try await environment.owner.collect("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(application)")
        try await waitUntil(timeout: .seconds(5)) {
            try await environment.owner.collect("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = \(application)")[0]
                .decode(Int.self) == 1 && listening.load(ordering: .relaxed)
        }
        _ = try await environment.owner.collect("SELECT pg_notify(\(channel), 'two')")
        try await waitUntil { received.withLock { $0 } == 2 }
        running.cancel()
        let cancelled = ContinuousClock.now
        await running.value
        #expect(cancelled.duration(to: .now) < .seconds(1), "cancelling the listener ends it at once")
    }

    private static func backend(_ connection: PostgresConnection) async throws -> Int32 {
        try await connection.query("SELECT pg_backend_pid()", logger: Logger(label: "test")).collect().first!.decode(Int32.self)
    }
}
