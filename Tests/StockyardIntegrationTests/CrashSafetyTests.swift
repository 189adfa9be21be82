import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// The runner and its pool through a crash of the Postgres server itself (immediate shutdown, then recovery from
/// the WAL): the process survives the outage, resumes by itself, and every job still ends done: at worst a job
/// runs again, it is never lost.
@Suite(.timeLimit(.minutes(3))) struct CrashSafetyTests {
    @Test func aServerCrashUnderARunningRunnerLosesNoJob() async throws {
        var logger = Logger(label: "stockyard.tests.crash")
        logger.logLevel = .error
        let cluster = try await ThrowawayCluster.start(logger: logger)
        defer { cluster.destroy() }
        let company = try await Database.withPool(url: cluster.ownerURL, poolSize: 1, logger: logger) { owner in
            try await CompanyRepository(database: owner).create(name: "Crash", logger: logger)
        }
        let kind = "test.crash.noop"
        let total = 1_500
        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { job, _ in
            try await Task.sleep(for: .milliseconds(2))
            log.record(job.id)
        })
        let settings = testRunnerSettings(kinds: [kind], concurrency: 4, lease: .seconds(2))

        try await Database.withPool(url: cluster.appURL, poolSize: 4, logger: logger) { pool in
            let runner = JobRunner(settings: settings, database: pool, listenURL: cluster.appURL, handlers: handlers,
                                   metrics: nil, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                defer { group.cancelAll() }
                try await waitUntil { runner.isListening }
                let ids = try await pool.withCompany(company.id, logger: logger) { connection in
                    try await JobQueue.enqueue(on: connection, kind: kind, payloads: Array(repeating: .object([:]), count: total),
                                               logger: logger)
                }
                try await waitUntil(timeout: .seconds(30)) { log.counts.count >= total / 3 }
                try cluster.kill()
                try await Task.sleep(for: .seconds(1))
                try cluster.up()
                try await waitUntil(timeout: .seconds(60)) {
                    (try? await Self.count(state: "done", in: cluster, logger: logger)) == total
                }
                let runs = log.counts
                #expect(ids.allSatisfy { (runs[$0] ?? 0) >= 1 })
                #expect(try await Self.count(state: "done", in: cluster, logger: logger) == total)
            }
        }
    }

    /// Jobs that write (their `done` is one transaction with their work) caught by the crash: their attempts fail, and
    /// so would recording those failures while the server is down. The runner records them as soon as it answers
    /// again, gives the attempt back and runs them at once, well before their 30 s leases would have expired.
    @Test func jobsCaughtByACrashRunAgainSoonAfterTheDatabaseReturns() async throws {
        let logger = { var logger = Logger(label: "stockyard.tests.crash"); logger.logLevel = .critical; return logger }()
        let cluster = try await ThrowawayCluster.start(logger: logger)
        defer { cluster.destroy() }
        let company = try await Database.withPool(url: cluster.ownerURL, poolSize: 1, logger: logger) { owner in
            try await CompanyRepository(database: owner).create(name: "Crash", logger: logger)
        }
        let kind = "test.crash.write"
        let total = 400
        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { job, context in
            try await context.finish { connection in
                _ = try await connection.query("SELECT pg_sleep(0.02)", logger: logger).collect()
                log.record(job.id)
            }
        })
        let settings = testRunnerSettings(kinds: [kind], concurrency: 8, lease: .seconds(30))

        try await Database.withPool(url: cluster.appURL, poolSize: 8, logger: logger) { pool in
            let runner = JobRunner(settings: settings, database: pool, listenURL: cluster.appURL, handlers: handlers,
                                   metrics: nil, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                defer { group.cancelAll() }
                try await waitUntil { runner.isListening }
                try await pool.withCompany(company.id, logger: logger) { connection in
                    _ = try await JobQueue.enqueue(on: connection, kind: kind, payloads: Array(repeating: .object([:]), count: total),
                                                   logger: logger)
                }
                try await waitUntil(timeout: .seconds(30)) { log.counts.count >= total / 4 }
                try cluster.kill()
                try await Task.sleep(for: .seconds(1))
                try cluster.up()
                let back = ContinuousClock.now
                try await waitUntil(timeout: .seconds(25)) {
                    (try? await Self.count(state: "done", in: cluster, logger: logger)) == total
                }
                #expect(back.duration(to: .now) < .seconds(10), "long before the 30 s leases of the crashed attempts expire (ops/drill measures the 5 s target)")
                #expect(try await Self.count(state: "dead", in: cluster, logger: logger) == 0)
            }
        }
    }

    private static func count(state: String, in cluster: ThrowawayCluster, logger: Logger) async throws -> Int {
        try await DedicatedConnection.with(cluster.ownerURL, logger: logger) { connection in
            let rows = try await connection.query("SELECT count(*)::int FROM reporting.sync_jobs WHERE state::text = \(state)", logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
