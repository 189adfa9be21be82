import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import ServiceLifecycle
import Synchronization

/// Job kinds unique to one test, so runners of tests running in parallel never take each other's jobs.
struct TestKinds: Sendable {
    let prefix = "test.k\(UInt32.random(in: 0...UInt32.max))"
    func callAsFunction(_ name: String) -> String { "\(prefix).\(name)" }
}

/// Settings for a test runner: quick polls and backoff, claiming only `kinds`.
func testRunnerSettings(kinds: [String], concurrency: Int = 4, lease: Duration = .seconds(30),
                        worker: String = "test-\(UInt32.random(in: 0...UInt32.max))") -> JobRunner.Settings {
    JobRunner.Settings(worker: worker, concurrency: concurrency, pollInterval: .milliseconds(200), lease: lease,
                       retry: RetryPolicy(base: .milliseconds(50), cap: .milliseconds(200)), shutdownGrace: .seconds(2),
                       housekeepingInterval: .milliseconds(200), kinds: kinds)
}

extension TestEnvironment {
    /// Runs a runner with `handlers` on a small pool of its own (so that tests loading the shared pool beside it do
    /// not delay its claims) while `body` runs, then cancels it. Waits for its LISTEN first.
    func withRunner<T: Sendable>(_ settings: JobRunner.Settings, handlers: JobHandlers, poolSize: Int = 3,
                                 _ body: (JobRunner) async throws -> T) async throws -> T {
        try await Database.withPool(url: appURL, poolSize: poolSize, logger: logger) { pool in
            let runner = JobRunner(settings: settings, database: pool, listenURL: appURL, handlers: handlers, metrics: nil, logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                try await waitUntil { runner.isListening }
                defer { group.cancelAll() }
                return try await body(runner)
            }
        }
    }

    /// The runner inside a `ServiceGroup`, as `serve` and `worker` run it: runs `body`, then triggers the graceful
    /// shutdown (what SIGTERM does) and waits for the runner to stop.
    func withRunnerInServiceGroup(_ settings: JobRunner.Settings, handlers: JobHandlers,
                                  _ body: (JobRunner) async throws -> Void) async throws {
        try await Database.withPool(url: appURL, poolSize: 3, logger: logger) { pool in
            let runner = JobRunner(settings: settings, database: pool, listenURL: appURL, handlers: handlers, metrics: nil, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await waitUntil { runner.isListening }
                try await body(runner)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    /// Enqueues one job in `company`'s scope through the outbox API; returns its id.
    @discardableResult
    func enqueue(_ kind: String, company: Int64, payload: JSONValue = .object([:]),
                 options: JobQueue.Options = .init()) async throws -> Int64 {
        try await app.withCompany(company, logger: logger) { connection in
            try await JobQueue.enqueue(on: connection, kind: kind, payload: payload, options: options, logger: logger)
        }
    }

    /// The job as the company sees it.
    func job(_ id: Int64, company: Int64) async throws -> SyncJob? {
        try await JobRepository(database: app).get(id: id, company: company, logger: logger)
    }
}

/// Counts how many times each job id ran.
final class RunLog: Sendable {
    private let runs = Mutex<[Int64: Int]>([:])
    func record(_ id: Int64) { runs.withLock { $0[id, default: 0] += 1 } }
    var counts: [Int64: Int] { runs.withLock { $0 } }
    func count(_ id: Int64) -> Int { runs.withLock { $0[id] ?? 0 } }
}


extension JobRunner.Settings {
    /// The same settings under another worker name: a second runner.
    func renamed(_ suffix: String) -> JobRunner.Settings {
        var settings = self
        settings.worker += "-\(suffix)"
        return settings
    }
}
