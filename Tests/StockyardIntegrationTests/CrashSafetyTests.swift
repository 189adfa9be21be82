import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Testing

/// The runner and its pool through a crash of the Postgres server itself (immediate shutdown, then recovery from
/// the WAL): the process survives the outage, resumes by itself, and every job still ends done: at worst a job
/// runs again, it is never lost. The suite's time limit ends a run that hangs (decisions D35), and a cluster left by a
/// killed run is removed by the next one (`ThrowawayCluster.reapOrphans`).
@Suite(.timeLimit(.minutes(3))) struct CrashSafetyTests {
    @Test func aServerCrashUnderARunningRunnerLosesNoJob() async throws {
        let log = RunLog()
        let kind = "test.crash.noop"
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { job, _ in
            try await Task.sleep(for: .milliseconds(2))
            log.record(job.id)
        })
        let crash = try await Self.crashMidway(kind: kind, total: 1_500, handlers: handlers, log: log, doneBeforeCrash: 500,
                                               settings: testRunnerSettings(kinds: [kind], concurrency: 4, lease: .seconds(2)))
        let runs = log.counts
        #expect(crash.ids.allSatisfy { (runs[$0] ?? 0) >= 1 })
        #expect(crash.done == 1_500)
    }

    /// Jobs that write (their `done` is one transaction with their work) caught by the crash: their attempts fail, and
    /// so would recording those failures while the server is down. The runner records them as soon as it answers
    /// again, gives the attempt back and runs them at once, well before their 30 s leases would have expired.
    @Test func jobsCaughtByACrashRunAgainSoonAfterTheDatabaseReturns() async throws {
        let log = RunLog()
        let kind = "test.crash.write"
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { job, context in
            try await context.finish { connection in
                _ = try await connection.query("SELECT pg_sleep(0.02)", logger: context.logger).collect()
                log.record(job.id)
            }
        })
        let crash = try await Self.crashMidway(kind: kind, total: 400, handlers: handlers, log: log, doneBeforeCrash: 100,
                                               settings: testRunnerSettings(kinds: [kind], concurrency: 8, lease: .seconds(30)))
        #expect(crash.done == 400)
        #expect(crash.dead == 0)
        #expect(crash.allDoneAfterReturn < .seconds(10),
                "long before the 30 s leases of the crashed attempts expire (ops/drill measures the 5 s target)")
    }

    struct Crash {
        let ids: [Int64]
        let done: Int
        let dead: Int
        /// From the server's return to the last job done.
        let allDoneAfterReturn: Duration
    }

    /// A throwaway cluster and a runner on it; `total` jobs of `kind` enqueued; once `doneBeforeCrash` have run, the
    /// server is killed (immediate mode), left down for a second and started again; then waits up to 60 s for every
    /// job to be done. The cluster is removed whatever happens.
    private static func crashMidway(kind: String, total: Int, handlers: JobHandlers, log: RunLog, doneBeforeCrash: Int,
                                    settings: JobRunner.Settings) async throws -> Crash {
        let logger = { var logger = Logger(label: "stockyard.tests.crash"); logger.logLevel = .critical; return logger }()
        let cluster = try await ThrowawayCluster.start(logger: logger)
        defer { cluster.destroy() }
        let company = try await Database.withPool(url: cluster.ownerURL, poolSize: 1, logger: logger) { owner in
            try await CompanyRepository(database: owner).create(name: "Crash", logger: logger)
        }
        return try await Database.withPool(url: cluster.appURL, poolSize: settings.concurrency, logger: logger) { pool in
            let runner = JobRunner(settings: settings, database: pool, listenURL: cluster.appURL, handlers: handlers,
                                   metrics: nil, logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                defer { group.cancelAll() }
                try await waitUntil { runner.isListening }
                let ids = try await pool.withCompany(company.id, logger: logger) { connection in
                    try await JobQueue.enqueue(on: connection, kind: kind, payloads: Array(repeating: .object([:]), count: total),
                                               logger: logger)
                }
                try await waitUntil(timeout: .seconds(30)) { log.counts.count >= doneBeforeCrash }
                try cluster.kill()
                try await Task.sleep(for: .seconds(1))
                try cluster.up()
                let back = ContinuousClock.now
                try await waitUntil(timeout: .seconds(60)) {
                    (try? await count(state: "done", in: cluster, logger: logger)) == total
                }
                return Crash(ids: ids, done: try await count(state: "done", in: cluster, logger: logger),
                             dead: try await count(state: "dead", in: cluster, logger: logger),
                             allDoneAfterReturn: back.duration(to: .now))
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
