import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PostgresNIO
import StockyardCore
import StockyardStore
import StockyardSync
import Synchronization
import Testing

/// The outbox and the runner against real Postgres: enqueue in the caller's transaction, coalescing, retries,
/// dead jobs, several runners, crashed runners, a lost LISTEN connection, graceful stop, tenant scope.
@Suite struct JobQueueTests {
    @Test func aCommittedJobRunsAndARolledBackOneNever() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register(kinds("echo"), ClosureJobHandler { job, _ in log.record(job.id) })
        try await environment.withRunner(testRunnerSettings(kinds: [kinds("echo")]), handlers: handlers) { _ in
            struct Abort: Error {}
            var rolledBack: Int64 = 0
            await #expect(throws: Abort.self) {
                try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
                    rolledBack = try await JobQueue.enqueue(on: connection, kind: kinds("echo"), payload: .object([:]), logger: environment.logger)
                    throw Abort()
                }
            }
            let committed = try await environment.enqueue(kinds("echo"), company: company.id)
            try await waitUntil { try await environment.job(committed, company: company.id)?.state == .done }
            #expect(log.count(committed) == 1)
            let neverCommitted = try await environment.job(rolledBack, company: company.id)
            #expect(log.count(rolledBack) == 0 && neverCommitted == nil)
            let done = try #require(try await environment.job(committed, company: company.id))
            #expect(done.attempts == 1 && done.lockedUntil == nil && done.finishedAt != nil)
        }
    }

    @Test func aSQLWriterEnqueuesThroughTheFunctionAndTheNotifyWakesTheRunner() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register(kinds("sql"), ClosureJobHandler { job, _ in log.record(job.id) })
        // A poll far longer than the test: only the NOTIFY can wake the runner in time.
        var settings = testRunnerSettings(kinds: [kinds("sql")])
        settings.pollInterval = .seconds(600)
        settings.housekeepingInterval = .seconds(600)
        settings.reclaimInterval = .seconds(600)
        try await environment.withRunner(settings, handlers: handlers) { _ in
            let id = try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
                try await connection.rows("SELECT stockyard.enqueue_job(\(kinds("sql")), NULL, '{\"sku\":\"A-1\"}', now())")
                    .collect()[0].decode(Int64.self)
            }
            let started = ContinuousClock.now
            try await waitUntil(timeout: .seconds(2)) { log.count(id) == 1 }
            #expect(started.duration(to: .now) < .seconds(2))
            #expect(try await environment.job(id, company: company.id)?.payload["sku"] == .string("A-1"))
        }
    }

    @Test func aThousandConcurrentEnqueuesOfOneKeyLeaveOnePendingJobWithTheLastPayload() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kind = TestKinds()("coalesce")
        let later = Date().addingTimeInterval(3600)
        // The first enqueue is due in an hour; a later one due sooner moves it earlier, never later.
        let first = try await environment.enqueue(kind, company: company.id, payload: .object(["n": .number(-1)]),
                                                  options: .init(dedupeKey: "sku:1", runAt: later))
        // On a pool of its own, so its thousand queued requests do not stall the tests running beside it.
        try await Database.withPool(url: environment.appURL, poolSize: 8, logger: environment.logger) { pool in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<1000 {
                    group.addTask {
                        _ = try await pool.withCompany(company.id, logger: environment.logger) { connection in
                            try await JobQueue.enqueue(
                                on: connection, kind: kind, payload: .object(["n": .number(Double(n))]),
                                options: .init(dedupeKey: "sku:1", runAt: later.addingTimeInterval(Double(n))), logger: environment.logger)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let last = try await environment.enqueue(kind, company: company.id, payload: .object(["n": .number(1000)]),
                                                 options: .init(dedupeKey: "sku:1", runAt: later.addingTimeInterval(-60)))
        #expect(last == first, "coalesced into the one pending job")
        let jobs = try await JobRepository(database: environment.app).list(
            company: company.id, filter: JobFilter(kind: kind), page: try PageRequest(limit: nil, cursor: nil), logger: environment.logger)
        #expect(jobs.items.count == 1)
        let job = try #require(jobs.items.first)
        #expect(job.payload["n"] == .number(1000), "the last committed payload")
        #expect(abs(job.runAt.timeIntervalSince(later.addingTimeInterval(-60))) < 0.01, "the earliest run_at kept")
        #expect(job.state == .pending && job.dedupeKey == "sku:1")

        // A running job with the key does not absorb a new one: the next change gets a pending job of its own.
        _ = try await environment.owner.withConnection { connection in
            try await connection.rows("UPDATE stockyard.sync_jobs SET state = 'running', locked_until = now() + interval '1 minute' WHERE id = \(first)")
        }
        let next = try await environment.enqueue(kind, company: company.id, options: .init(dedupeKey: "sku:1"))
        #expect(next != first)
    }

    /// A job whose key is busy waits; when the job before it finishes, its runner is told that the next of the key is
    /// due (the poll is far longer than the test, and nothing else wakes the runner). A finished job with nothing
    /// due behind it wakes nothing: a claim per finished job was most of a busy runner's own database work.
    @Test func aJobWaitingForItsKeyStartsWhenTheJobBeforeItFinishes() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let log = RunLog()
        let released = Atomic<Bool>(false)
        var handlers = JobHandlers()
        handlers.register(kinds("keyed"), ClosureJobHandler { job, context in
            while job.payload["hold"] == .bool(true) && !released.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(10)) }
            try await context.finish { _ in log.record(job.id) }
        })
        var settings = testRunnerSettings(kinds: [kinds("keyed")])
        settings.pollInterval = .seconds(600)
        settings.housekeepingInterval = .seconds(600)
        settings.reclaimInterval = .seconds(600)
        try await environment.withRunner(settings, handlers: handlers) { _ in
            let first = try await environment.enqueue(kinds("keyed"), company: company.id, payload: .object(["hold": .bool(true)]),
                                                      options: .init(dedupeKey: "level-1"))
            try await waitUntil(timeout: .seconds(2)) { try await environment.job(first, company: company.id)?.state == .running }
            let second = try await environment.enqueue(kinds("keyed"), company: company.id, options: .init(dedupeKey: "level-1"))
            #expect(second != first, "a running job is not coalesced into")
            try await Task.sleep(for: .milliseconds(300))
            #expect(log.count(second) == 0, "it waits while its key runs")
            #expect(try await environment.job(second, company: company.id)?.state == .pending)
            released.store(true, ordering: .relaxed)
            try await waitUntil(timeout: .seconds(2)) { log.count(second) == 1 }
            #expect(log.count(first) == 1)
        }
    }

    @Test func aFailingJobBacksOffThenSucceeds() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let attempts = Mutex<[ContinuousClock.Instant]>([])
        var handlers = JobHandlers()
        handlers.register(kinds("flaky"), ClosureJobHandler { job, _ in
            attempts.withLock { $0.append(.now) }
            if job.attempt < 3 { throw JobFailure.retryable("storefront timed out (attempt \(job.attempt))") }
        })
        var settings = testRunnerSettings(kinds: [kinds("flaky")])
        settings.retry = RetryPolicy(base: .milliseconds(600), cap: .seconds(1))   // 0.3–0.6 s, then 0.5–1 s
        try await environment.withRunner(settings, handlers: handlers) { _ in
            let id = try await environment.enqueue(kinds("flaky"), company: company.id)
            try await waitUntil(timeout: .seconds(10)) { try await environment.job(id, company: company.id)?.state == .done }
            let done = try #require(try await environment.job(id, company: company.id))
            #expect(done.attempts == 3 && done.lastError == nil)
        }
        let starts = attempts.withLock { $0 }
        try #require(starts.count == 3)
        let first = starts[0].duration(to: starts[1]), second = starts[1].duration(to: starts[2])
        #expect(first >= .milliseconds(300), "backed off 0.3–0.6 s after the first failure: \(first)")
        #expect(second >= .milliseconds(500), "backed off 0.5–1 s after the second: \(second)")
    }

    @Test func aDeferredJobWaitsAsToldWithoutSpendingItsAttempts() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let starts = Mutex<[ContinuousClock.Instant]>([])
        var handlers = JobHandlers()
        handlers.register(kinds("throttled"), ClosureJobHandler { _, _ in
            let count = starts.withLock { $0.append(.now); return $0.count }
            if count <= 4 { throw JobFailure.deferred("throttled (\(count))", wait: .milliseconds(150)) }
        })
        try await environment.withRunner(testRunnerSettings(kinds: [kinds("throttled")]), handlers: handlers) { _ in
            // Four deferrals of a job allowed two attempts: it still runs, on its first counted attempt.
            let id = try await environment.enqueue(kinds("throttled"), company: company.id, options: .init(maxAttempts: 2))
            try await waitUntil(timeout: .seconds(10)) { try await environment.job(id, company: company.id)?.state == .done }
            #expect(try await environment.job(id, company: company.id)?.attempts == 1)
        }
        let times = starts.withLock { $0 }
        try #require(times.count == 5)
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(earlier.duration(to: later) >= .milliseconds(150), "each run waited as told")
        }
    }

    @Test func aRetryableFailureIsRecordedWithItsBackoff() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        var handlers = JobHandlers()
        handlers.register(kinds("down"), ClosureJobHandler { _, _ in throw JobFailure.retryable("storefront answered 503") })
        var settings = testRunnerSettings(kinds: [kinds("down")])
        settings.retry = RetryPolicy(base: .seconds(60), cap: .seconds(60))   // the retry is far away: the failed state stays
        try await environment.withRunner(settings, handlers: handlers) { _ in
            let id = try await environment.enqueue(kinds("down"), company: company.id)
            try await waitUntil { try await environment.job(id, company: company.id)?.state == .failed }
            let failed = try #require(try await environment.job(id, company: company.id))
            #expect(failed.lastError == "storefront answered 503" && failed.lastErrorType == "retryable" && failed.attempts == 1)
            let backoff = failed.runAt.timeIntervalSince(failed.startedAt!)
            #expect(backoff >= 30 && backoff <= 61, "rescheduled 30–60 s later: \(backoff) s")
            #expect(failed.lockedUntil == nil && failed.lockedBy == nil)
        }
    }

    @Test func afterItsLastAttemptAJobIsDeadAndTheAPIRetriesIt() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let healthy = Mutex(false)
        var handlers = JobHandlers()
        handlers.register(kinds("broken"), ClosureJobHandler { _, _ in
            if !healthy.withLock({ $0 }) { throw JobFailure.retryable("503 from the storefront") }
        })
        handlers.register(kinds("bad"), ClosureJobHandler { _, _ in throw JobFailure.permanent("payload has no sku") })
        let settings = testRunnerSettings(kinds: [kinds("broken"), kinds("bad"), kinds("nobody")])
        try await environment.withRunner(settings, handlers: handlers) { _ in
            let broken = try await environment.enqueue(kinds("broken"), company: company.id, options: .init(maxAttempts: 2))
            let bad = try await environment.enqueue(kinds("bad"), company: company.id)
            let orphan = try await environment.enqueue(kinds("nobody"), company: company.id)
            for id in [broken, bad, orphan] {
                try await waitUntil { try await environment.job(id, company: company.id)?.state == .dead }
            }
            #expect(try await environment.job(broken, company: company.id)?.attempts == 2)
            #expect(try await environment.job(bad, company: company.id)?.attempts == 1, "a permanent error is not retried")
            #expect(try await environment.job(orphan, company: company.id)?.lastError?.contains("no handler for job kind '\(kinds("nobody"))'") == true)

            try await withAPI { client in
                let wrongState = try await client.send(.post, "/v1/jobs/\(broken)/cancel", token: company.token)
                #expect(wrongState.status == .conflict, "a dead job is not cancelled")
                healthy.withLock { $0 = true }
                let retried = try await client.send(.post, "/v1/jobs/\(broken)/retry", token: company.token)
                #expect(retried.status == .ok, "\(retried.text)")
                let job = try retried.decode(SyncJob.self)
                #expect(job.state == .pending && job.attempts == 0)
                try await waitUntil { try await environment.job(broken, company: company.id)?.state == .done }
                let again = try await client.send(.post, "/v1/jobs/\(broken)/retry", token: company.token)
                #expect(again.status == .conflict, "a done job is not retried")
            }
        }
    }

    @Test func twoRunnersRunTwoThousandJobsExactlyOnceEach() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kind = TestKinds()("bulk")
        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { job, _ in log.record(job.id) })
        let ids = try await environment.app.withCompany(company.id, logger: environment.logger) { connection in
            try await JobQueue.enqueue(on: connection, kind: kind, payloads: (0..<2000).map { .object(["n": .number(Double($0))]) },
                                       logger: environment.logger)
        }
        let settings = testRunnerSettings(kinds: [kind], concurrency: 4)
        try await environment.withRunner(settings, handlers: handlers, poolSize: 5) { _ in
            try await environment.withRunner(settings.renamed("second"), handlers: handlers, poolSize: 5) { _ in
                try await waitUntil(timeout: .seconds(60)) { log.counts.count == 2000 }
                try await waitUntil {
                    try await JobRepository(database: environment.app).stats(company: company.id, logger: environment.logger)
                        .kinds.first { $0.kind == kind }?.done == 2000
                }
            }
        }
        #expect(Set(log.counts.keys) == Set(ids))
        #expect(log.counts.values.allSatisfy { $0 == 1 }, "no job ran twice")
        let workers = try await environment.owner.withConnection { connection in
            try await connection.rows("SELECT count(*)::int FROM stockyard.sync_jobs WHERE kind = \(kind) AND state <> 'done'")
                .collect()[0].decode(Int.self)
        }
        #expect(workers == 0)
    }

    @Test func aJobGoingBackBesideAPendingTwinIsSupersededAndTheOthersStillGoBack() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let runner = JobRunnerRepository(database: environment.app)
        let logger = environment.logger
        // Two claimed jobs whose runner dies; while the first ran, a change to its key queued a pending twin.
        let first = try await environment.enqueue(kinds("twin"), company: company.id, options: .init(dedupeKey: "sku:1"))
        let alone = try await environment.enqueue(kinds("alone"), company: company.id, options: .init(dedupeKey: "sku:1"))
        let claimed = try await runner.claim(worker: "gone", limit: 10, lease: .seconds(2), kinds: [kinds("twin"), kinds("alone")], logger: logger).jobs
        #expect(Set(claimed.map(\.id)) == [first, alone])
        let twin = try await environment.enqueue(kinds("twin"), company: company.id, options: .init(dedupeKey: "sku:1"))
        #expect(twin != first)
        try await Task.sleep(for: .milliseconds(2200))   // the lease leaves room for a loaded machine to enqueue the twin
        try await runner.reclaimExpired(logger: logger)   // (any test's housekeeping may have done it first: same outcome)
        let superseded = try #require(try await environment.job(first, company: company.id))
        #expect(superseded.state == .cancelled && superseded.lastErrorType == "superseded", "\(superseded)")
        #expect(try await environment.job(alone, company: company.id)?.state == .pending, "one collision does not stop the others")
        #expect(try await environment.job(twin, company: company.id)?.state == .pending)

        // Retrying the superseded job while its twin waits is a conflict, not a server error.
        await #expect(throws: AppError.self) {
            try await JobRepository(database: environment.app).retry(id: first, company: company.id, logger: logger)
        }
        // A graceful stop releasing a job beside a pending twin: superseded too, the attempt given back.
        let held = try await runner.claim(worker: "stopping", limit: 10, lease: .seconds(30), kinds: [kinds("twin")], logger: logger).jobs
        #expect(held.map(\.id) == [twin])
        let newest = try await environment.enqueue(kinds("twin"), company: company.id, options: .init(dedupeKey: "sku:1"))
        #expect(try await runner.release(worker: "stopping", jobs: [JobKey(companyID: company.id, id: twin)], logger: logger) == 1)
        let released = try #require(try await environment.job(twin, company: company.id))
        #expect(released.state == .cancelled && released.lastErrorType == "superseded" && released.attempts == 0)
        #expect(try await environment.job(newest, company: company.id)?.state == .pending)
    }

    @Test func aJobClaimedByARunnerThatDiedRunsAgainWithinTwoSecondsOfItsLeasesExpiry() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kind = TestKinds()("orphaned")
        let id = try await environment.enqueue(kind, company: company.id)
        // A runner claims it with a 3 s lease and dies without a word (as a killed process would).
        let claimedAt = ContinuousClock.now
        let claimed = try await JobRunnerRepository(database: environment.app).claim(
            worker: "killed-worker", limit: 10, lease: .seconds(3), kinds: [kind], logger: environment.logger).jobs
        #expect(claimed.map(\.id) == [id])
        #expect(try await environment.job(id, company: company.id)?.state == .running)

        // A runner that starts now (as a restarted worker does) and whose housekeeping would come far too late: the
        // reclaim has a clock of its own, from the runner's start.
        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { job, _ in log.record(job.id) })
        var settings = testRunnerSettings(kinds: [kind])
        settings.housekeepingInterval = .seconds(600)
        try await environment.withRunner(settings, handlers: handlers) { _ in
            try await Task.sleep(until: claimedAt + .milliseconds(2_500))
            #expect(log.count(id) == 0, "not while the lease holds")
            try await waitUntil(timeout: .seconds(10)) { try await environment.job(id, company: company.id)?.state == .done }
            // About 4 s on a quiet machine (the 3 s lease, then the 1 s reclaim clock); the housekeeping pass that
            // used to reclaim would come only after 600 s. The bound leaves room for a loaded CI machine.
            #expect(claimedAt.duration(to: .now) < .seconds(10), "reclaimed on the runner's own 1 s clock")
        }
        let job = try #require(try await environment.job(id, company: company.id))
        #expect(log.count(id) == 1 && job.attempts == 2, "the lost attempt counts")
    }

    @Test func aRunnerWhoseListenConnectionIsKilledRecoversAndKeepsProcessing() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kind = TestKinds()("listen")
        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { job, _ in log.record(job.id) })
        var settings = testRunnerSettings(kinds: [kind])
        settings.pollInterval = .seconds(600)   // only the LISTEN (or its reconnect sweep) can wake it
        try await environment.withRunner(settings, handlers: handlers) { runner in
            let before = try await environment.enqueue(kind, company: company.id)
            try await waitUntil { log.count(before) == 1 }
            let killed = try await environment.owner.withConnection { connection in
                try await connection.rows("""
                    SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE application_name = \(runner.listenerName)
                    """).collect()[0].decode(Int.self)
            }
            #expect(killed == 1)
            try await waitUntil { !runner.isListening }
            let during = try await environment.enqueue(kind, company: company.id)   // its NOTIFY may be lost
            try await waitUntil { runner.isListening }
            try await waitUntil { log.count(during) == 1 }   // the reconnect sweep
            let after = try await environment.enqueue(kind, company: company.id)
            try await waitUntil { log.count(after) == 1 }
        }
    }

    @Test func aGracefulStopFinishesOrReleasesInFlightJobs() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let kinds = TestKinds()
        let started = RunLog()
        var handlers = JobHandlers()
        handlers.register(kinds("quick"), ClosureJobHandler { job, _ in
            started.record(job.id)
            try await Task.sleep(for: .milliseconds(300))
        })
        handlers.register(kinds("stuck"), ClosureJobHandler { job, _ in
            started.record(job.id)
            try await Task.sleep(for: .seconds(60))
        })
        var settings = testRunnerSettings(kinds: [kinds("quick"), kinds("stuck")])
        settings.shutdownGrace = .seconds(1)
        let quick = try await environment.enqueue(kinds("quick"), company: company.id)
        let stuck = try await environment.enqueue(kinds("stuck"), company: company.id)
        try await environment.withRunnerInServiceGroup(settings, handlers: handlers) { _ in
            try await waitUntil { started.count(quick) == 1 && started.count(stuck) == 1 }
        }
        #expect(try await environment.job(quick, company: company.id)?.state == .done, "finished within the grace period")
        let released = try #require(try await environment.job(stuck, company: company.id))
        #expect(released.state == .pending && released.lockedUntil == nil && released.attempts == 0,
                "released, not left running without a lease, and the interrupted attempt not counted")
    }

    @Test func aJobRunsInItsCompanysScopeOnly() async throws {
        let environment = try await TestEnvironment.get()
        let a = try await environment.makeCompany()
        let b = try await environment.makeCompany()
        let kind = TestKinds()("peek")
        let seen = Mutex<[Int64]>([])
        var handlers = JobHandlers()
        handlers.register(kind, ClosureJobHandler { _, context in
            let companies = try await context.transaction { connection in
                try await connection.query("SELECT id FROM stockyard.companies ORDER BY id", logger: context.logger)
                    .collect().map { try $0.decode(Int64.self) }
            }
            seen.withLock { $0 = companies }
            // Writing into another company's rows is refused by the database.
            try await context.transaction { connection in
                try await connection.query("SELECT stockyard.enqueue_job('x', NULL, '{}', now())", logger: context.logger)
                _ = try await connection.query("""
                    INSERT INTO stockyard.sync_jobs (company_id, kind) VALUES (\(b.id), 'planted')
                    """, logger: context.logger).collect()
            }
        })
        try await environment.withRunner(testRunnerSettings(kinds: [kind]), handlers: handlers) { _ in
            let id = try await environment.enqueue(kind, company: a.id, options: .init(maxAttempts: 1))
            try await waitUntil { try await environment.job(id, company: a.id)?.state == .dead }
            #expect(seen.withLock { $0 } == [a.id], "the handler saw its own company only")
            #expect(try await environment.job(id, company: a.id)?.lastError?.contains("row-level security") == true)
        }
        let planted = try await environment.owner.withConnection { connection in
            try await connection.rows("SELECT count(*)::int FROM stockyard.sync_jobs WHERE kind IN ('x', 'planted')").collect()[0].decode(Int.self)
        }
        #expect(planted == 0, "the failed attempt's writes rolled back")
    }
}

/// A real `stockyard worker` process killed with SIGKILL in the middle of a job: the job runs again once its
/// lease expires, and the lost attempt counts. While it runs, the worker serves its metrics. The worker's lease is
/// long so that no other test's housekeeping reclaims the job before the kill is checked; the test then moves the
/// lease's end into the past instead of waiting for it.
@Suite struct KilledWorkerTests {
    @Test func aJobWhoseWorkerProcessWasKilledRunsAgainAfterItsLease() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let executable = binDirectory.appendingPathComponent("stockyard")
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "build the stockyard executable first")

        let id = try await environment.enqueue("drill.sleep", company: company.id, payload: .object(["seconds": .number(120)]))
        let metricsPort = Int.random(in: 20_000...30_000)
        let worker = Process()
        worker.executableURL = executable
        worker.arguments = ["worker"]
        worker.environment = ProcessInfo.processInfo.environment.merging([
            "STOCKYARD_DATABASE_URL": "postgres://\(environment.appURL.username):\(environment.appURL.password ?? "")@\(environment.appURL.host):\(environment.appURL.port)/\(environment.appURL.database)",
            "STOCKYARD_JOB_KINDS": "drill.sleep", "STOCKYARD_JOB_LEASE_SECONDS": "60", "STOCKYARD_JOB_CONCURRENCY": "1",
            "STOCKYARD_LOG_LEVEL": "error", "STOCKYARD_WORKER_METRICS_PORT": "\(metricsPort)",
        ]) { $1 }
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        try await waitUntil(timeout: .seconds(20)) { try await environment.job(id, company: company.id)?.state == .running }
        let metrics = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"),
                                                          timeout: .seconds(5))
        let exposition = String(buffer: try await metrics.body.collect(upTo: 1 << 20))
        #expect(metrics.status == .ok)
        #expect(exposition.contains(#"stockyard_jobs_claimed_total{kind="drill.sleep"} 1"#), "\(exposition)")
        #expect(exposition.contains("stockyard_db_pool_connections_max"))
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        #expect(try await environment.job(id, company: company.id)?.state == .running, "left running: nobody released it")
        try await environment.owner.withConnection { connection in
            _ = try await connection.rows("UPDATE stockyard.sync_jobs SET locked_until = now() - interval '1 second' WHERE id = \(id)").collect()
        }

        let log = RunLog()
        var handlers = JobHandlers()
        handlers.register("drill.sleep", ClosureJobHandler { job, _ in log.record(job.id) })
        try await environment.withRunner(testRunnerSettings(kinds: ["drill.sleep"]), handlers: handlers) { _ in
            try await waitUntil(timeout: .seconds(10)) { try await environment.job(id, company: company.id)?.state == .done }
        }
        let job = try #require(try await environment.job(id, company: company.id))
        #expect(log.count(id) == 1 && job.attempts == 2)
    }
}
