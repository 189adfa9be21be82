import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import StockyardCore
import StockyardStore
import Synchronization

/// Claims and runs sync jobs (DESIGN §5). Woken by `NOTIFY stockyard_jobs` on a LISTEN connection of its own, by
/// a job finishing (a free slot), and by a fallback poll; each wake claims batches until the slots are full or
/// nothing is due. Each job runs in its company's scope. Several runners, in one process or many, share the
/// table: `FOR UPDATE SKIP LOCKED` keeps them apart.
///
/// On graceful shutdown it stops claiming, lets in-flight jobs finish within `shutdownGrace`, then cancels the
/// rest and releases them to pending, so no job is left running without a lease.
public final class JobRunner: Service, Sendable {
    public struct Settings: Sendable {
        public var worker: String
        /// Jobs running at once.
        public var concurrency: Int
        /// Jobs claimed per claim statement; claimed jobs beyond `concurrency` wait for a slot, leased.
        public var batchSize: Int
        public var pollInterval: Duration
        public var lease: Duration
        public var retry: RetryPolicy
        public var retention: Duration
        public var shutdownGrace: Duration
        /// How often the done jobs' history is kept, idempotency keys purged and the depth gauge set.
        public var housekeepingInterval: Duration
        /// How often expired leases are looked for (also once at start): a crashed runner's job runs again within
        /// this much of its lease's expiry.
        public var reclaimInterval: Duration
        /// Claim only these kinds (nil: every kind; a kind without a handler then goes dead).
        public var kinds: [String]?

        public init(worker: String = JobRunner.defaultWorkerName(), concurrency: Int = 5, batchSize: Int = 25,
                    pollInterval: Duration = .seconds(2),
                    lease: Duration = .seconds(30), retry: RetryPolicy = RetryPolicy(), retention: Duration = .seconds(86_400),
                    shutdownGrace: Duration = .seconds(10), housekeepingInterval: Duration = .seconds(15),
                    reclaimInterval: Duration = .seconds(1), kinds: [String]? = nil) {
            self.worker = worker
            self.concurrency = concurrency
            self.batchSize = batchSize
            self.pollInterval = pollInterval
            self.lease = lease
            self.retry = retry
            self.retention = retention
            self.shutdownGrace = shutdownGrace
            self.housekeepingInterval = housekeepingInterval
            self.reclaimInterval = reclaimInterval
            self.kinds = kinds
        }

        public init(_ config: StockyardConfig.JobsConfig, worker: String = JobRunner.defaultWorkerName()) {
            self.init(worker: worker, concurrency: config.concurrency, batchSize: config.claimBatch,
                      pollInterval: .milliseconds(config.pollMilliseconds),
                      lease: .seconds(config.leaseSeconds),
                      retry: RetryPolicy(base: .milliseconds(config.retryBaseMilliseconds), cap: .seconds(config.retryCapSeconds)),
                      retention: .seconds(config.retentionHours * 3600), shutdownGrace: .seconds(config.shutdownSeconds),
                      kinds: config.kinds)
        }
    }

    public static let channel = "stockyard_jobs"

    let settings: Settings
    let listenURL: DatabaseURL
    let database: Database
    let jobs: JobRunnerRepository
    let idempotencyKeys: IdempotencyKeyRepository
    let handlers: JobHandlers
    let metrics: JobRunnerMetrics?
    let logger: Logger
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let state = Mutex(RunState())
    private let slots: AsyncSlots
    private let acksReady: AsyncStream<Void>
    private let ackSignal: AsyncStream<Void>.Continuation

    struct RunState {
        /// Claimed by this runner and not yet done, failed or released (running, waiting for a slot, or for its ack).
        var inFlight: Set<JobKey> = []
        /// Jobs whose handlers succeeded without writes of their own, waiting for the next batched ack.
        var acks: [(key: JobKey, kind: String)] = []
        /// Jobs from their handler's success until their batched ack has committed.
        var awaitingAck = 0
        /// The last claim round stopped because every slot was taken (due jobs may be waiting for one), rather than
        /// because it took all that was due.
        var slotsWereFull = false
        var stopping = false
        var listening = false
        /// The LISTEN connection was lost and has not been restored yet.
        var listenLost = false
        /// When the wake for the next delayed job is set for, if one is.
        var timedWake: Date?
    }

    /// `listenURL` is where the LISTEN connection goes (the same database as `database`'s pool).
    public init(settings: Settings, database: Database, listenURL: DatabaseURL, handlers: JobHandlers,
                metrics: JobRunnerMetrics?, logger: Logger) {
        self.settings = settings
        self.database = database
        self.listenURL = listenURL
        self.jobs = JobRunnerRepository(database: database)
        self.idempotencyKeys = IdempotencyKeyRepository(database: database)
        self.handlers = handlers
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "worker"] = "\(settings.worker)"
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (acksReady, ackSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        slots = AsyncSlots(settings.concurrency)
    }

    public static func defaultWorkerName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The LISTEN connection's `application_name` in `pg_stat_activity` (at most 63 bytes are kept).
    public var listenerName: String { String("stockyard jobs \(settings.worker)".prefix(63)) }

    /// Whether the LISTEN connection is up (tests wait for it before relying on notifications).
    public var isListening: Bool { state.withLock { $0.listening } }

    public func run() async throws {
        logger.info("job runner started", metadata: ["concurrency": "\(settings.concurrency)", "kinds": "\(handlers.kinds)"])
        await withDiscardingTaskGroup { background in
            background.addTask { await self.listen() }
            background.addTask { await self.acknowledge() }
            background.addTask { await self.tick(every: self.settings.pollInterval) { self.wake.yield() } }
            background.addTask { await self.tick(every: self.settings.lease / 3) { await self.renewLeases() } }
            background.addTask {
                await self.reclaimExpired()
                await self.tick(every: self.settings.reclaimInterval) { await self.reclaimExpired() }
            }
            background.addTask { await self.tick(every: self.settings.housekeepingInterval) { await self.housekeeping() } }
            await withGracefulShutdownHandler {
                await self.claimLoop()
            } onGracefulShutdown: {
                self.state.withLock { $0.stopping = true }
                self.wake.yield()
            }
            background.cancelAll()
        }
        logger.info("job runner stopped")
    }

    /// Claims whenever woken, up to the free slots, and runs each job in its own child task.
    private func claimLoop() async {
        let graceEnds = await withDiscardingTaskGroup { running -> ContinuousClock.Instant in
            for await _ in wakes {
                if Task.isCancelled || state.withLock({ $0.stopping }) { break }
                while true {
                    // Claim a batch whenever fewer jobs are in hand than can run at once. A job waiting only for its
                    // batched ack does not count, so the next claim overlaps the ack, but only up to one batch of
                    // them: while acks cannot commit, claiming stops instead of leasing the whole queue.
                    let free = settings.concurrency - state.withLock { $0.inFlight.count - min($0.awaitingAck, settings.batchSize) }
                    guard free > 0 else {
                        state.withLock { $0.slotsWereFull = true }
                        break
                    }
                    guard !state.withLock({ $0.stopping }) else { break }
                    let limit = max(free, settings.batchSize)
                    let claimed: [ClaimedJob], nextDue: Date?
                    do {
                        (claimed, nextDue) = try await bounded { [jobs, settings, logger] in
                            try await jobs.claim(worker: settings.worker, limit: limit, lease: settings.lease,
                                                 kinds: settings.kinds, logger: logger)
                        }
                    } catch {
                        logger.warning("claiming jobs failed; retrying at the next wake", metadata: ["error": "\(String(reflecting: error))"])
                        break
                    }
                    state.withLock { $0.inFlight.formUnion(claimed.map(\.key)) }
                    for job in claimed {
                        metrics?.claimed(job.kind)
                        running.addTask {
                            guard await self.slots.acquire() else { return }   // cancelled while waiting: released below
                            defer { self.slots.release() }
                            await self.execute(job)
                        }
                    }
                    // A short claim took what it could: the rest is delayed, waits for its key, or is held by another
                    // runner's claim. A new job's NOTIFY, the timer for the next delayed job, and a finished job whose
                    // key has a job waiting wake the loop again (a job enqueued for a key while that key's job commits
                    // its finish can miss both and wait for the poll).
                    if claimed.count < limit {
                        state.withLock { $0.slotsWereFull = false }
                        if let nextDue { wakeAt(nextDue) }
                        break
                    }
                }
            }
            // Stopping: give in-flight jobs their grace period, then cancel them (their transactions roll back).
            let deadline = ContinuousClock.now + settings.shutdownGrace
            while !Task.isCancelled && !state.withLock({ $0.inFlight.isEmpty }) && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            running.cancelAll()
            return deadline
        }
        // Cancelled (not a graceful stop): nothing more to say to the database; the leases expire and the jobs rerun.
        if Task.isCancelled { return }
        // The last acks and the release get until the grace period's end, or 2 s if it is over: an unreachable
        // database must not hold the stop (the leases expire and the jobs rerun, at least once).
        await flushAcks(until: max(ContinuousClock.now + .seconds(2), graceEnds))
        let unfinished = Array(state.withLock { $0.inFlight })
        if !unfinished.isEmpty {
            let released = (try? await bounded { [jobs, settings, logger] in
                try await jobs.release(worker: settings.worker, jobs: unfinished, logger: logger)
            }) ?? 0
            logger.warning("released unfinished jobs at shutdown", metadata: ["jobs": "\(unfinished.map(\.id))", "released": "\(released)"])
        }
    }

    /// Nothing more is due now: wake when the next delayed job is (a debounced push, a retry), rather than at the next
    /// poll. One timer at a time, for the earliest time asked.
    private func wakeAt(_ due: Date) {
        let wait = due.timeIntervalSinceNow
        guard wait < settings.pollInterval.inSeconds else { return }   // the poll comes first
        let set = state.withLock { state in
            if let timed = state.timedWake, timed <= due { return false }
            state.timedWake = due
            return true
        }
        guard set else { return }
        Task {
            try? await Task.sleep(for: .milliseconds(max(0, Int(wait * 1000)) + 1))
            self.state.withLock { state in if state.timedWake == due { state.timedWake = nil } }
            self.wake.yield()
        }
    }

    /// One attempt: the handler, then done (unless the handler finished the job itself), or the failure recorded.
    private func execute(_ job: ClaimedJob) async {
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        logger[metadataKey: "company_id"] = "\(job.companyID)"
        metrics?.started(job.kind, waited: Date().timeIntervalSince(job.runAt))
        do {
            guard let handler = handlers.handler(for: job.kind) else {
                throw JobFailure.permanent("no handler for job kind '\(job.kind)' in this runner (known: \(handlers.kinds.joined(separator: ", ")))")
            }
            let context = JobContext(job: job, database: database, runner: jobs, worker: settings.worker, logger: logger)
            // Not waited for once this task is cancelled: a handler left waiting on a dropped statement (D35) must not
            // hold the runner's stop.
            try await awaitAtMost(nil) { try await handler.run(job, context: context) }
            if context.isFinished {
                metrics?.succeeded(job.kind)
                // Its slot matters only when due jobs wait for one, and the next job of its key waited for it;
                // otherwise claiming now would find nothing (a claim after every finished job was most of the
                // runner's own database load at a steady rate).
                let slotsWereFull = state.withLock { state in
                    state.inFlight.remove(job.key)
                    return state.slotsWereFull
                }
                if slotsWereFull { wake.yield() }
                if let next = context.nextOfKey { wakeAt(next) }
                return
            } else {
                // Nothing of the handler's own to commit with it: acknowledged in the next batch.
                state.withLock { state in
                    state.acks.append((job.key, job.kind))
                    state.awaitingAck += 1
                }
                ackSignal.yield()
                return
            }
        } catch where Task.isCancelled {
            return   // shutting down: left in flight, released by the claim loop
        } catch let lost as LeaseLost {
            logger.warning("lost the job's lease before finishing; its effects were rolled back", metadata: ["job": "\(lost.jobID)"])
            state.withLock { _ = $0.inFlight.remove(job.key) }
        } catch {
            await recordFailure(job, error: error, logger: logger)
            state.withLock { _ = $0.inFlight.remove(job.key) }
        }
        wake.yield()   // a slot is free
    }

    /// Flushes batched acks whenever some are waiting: one statement for all of them, so a burst of quick jobs
    /// costs a few commits, not one each (acks pile up while the previous flush runs, like a group commit).
    private func acknowledge() async {
        for await _ in acksReady {
            await flushAcks(until: nil)
        }
    }

    /// Commits the waiting acks, retrying every 100 ms while that fails, until cancelled or `until` passes.
    private func flushAcks(until giveUp: ContinuousClock.Instant?) async {
        while true {
            let batch = state.withLock { state in
                defer { state.acks.removeAll(keepingCapacity: true) }
                return state.acks
            }
            if batch.isEmpty { return }
            do {
                let done = try await bounded { [jobs, settings, logger] in
                    try await jobs.complete(jobs: batch.map(\.key), worker: settings.worker, logger: logger)
                }
                for (key, kind) in batch where done.contains(key.id) { metrics?.succeeded(kind) }
                if done.count < batch.count {
                    logger.warning("lost the lease of jobs before their ack; they run again",
                                   metadata: ["jobs": "\(batch.map(\.key.id).filter { !done.contains($0) })"])
                }
                state.withLock { state in
                    for (key, _) in batch { state.inFlight.remove(key) }
                    state.awaitingAck -= batch.count
                }
                wake.yield()   // slots are free
            } catch {
                // Put them back and try again shortly; if this runner dies first, their leases expire and they rerun.
                state.withLock { $0.acks.insert(contentsOf: batch, at: 0) }
                logger.warning("acknowledging jobs failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
                if Task.isCancelled { return }
                if let giveUp, ContinuousClock.now >= giveUp { return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private func recordFailure(_ job: ClaimedJob, error: any Error, logger: Logger) async {
        // A deferral is not a failure: it waits as told, never goes dead, and gives its attempt back. Nor is losing
        // the database (a crash, a restart, a move): the attempt is given back and the job is due again at once, so
        // it runs as soon as the database answers. A statement deadline counts, so a job that always overruns ends dead.
        let unreachable = DatabaseOutage.covers(error) && !(error is StatementDeadlineExceeded)
        let (message, type, retryAfter, permanent, refund): (String, String, Duration?, Bool, Bool) = switch error {
        case JobFailure.permanent(let message): (message, "permanent", nil, true, false)
        case JobFailure.retryable(let message, let after): (message, "retryable", after, false, false)
        case JobFailure.deferred(let message, let wait): (message, "deferred", wait, false, true)
        case _ where unreachable: ("the database was unreachable: \(String(reflecting: error))", "database_unavailable", .zero, false, true)
        case let error as PSQLError:
            ("SQLSTATE \(error.sqlState ?? "?"): \(error.serverMessage ?? String(reflecting: error))", "database", nil, false, false)
        default: (String(describing: error), String(reflecting: type(of: error)), nil, false, false)
        }
        let retryAt: Date? = permanent || (!refund && job.attempt >= job.maxAttempts) ? nil
            : Date().addingTimeInterval((retryAfter ?? settings.retry.delay(afterAttempts: job.attempt)).inSeconds)
        if retryAt == nil {
            metrics?.dead(job.kind)
            logger.error("job is dead", metadata: ["attempt": "\(job.attempt)", "error": "\(message)"])
        } else {
            metrics?.retried(job.kind)
            if refund { logger.notice("job deferred", metadata: ["wait": "\(retryAfter.map { "\($0)" } ?? "")", "reason": "\(message)"]) }
            else { logger.warning("job attempt failed; retrying", metadata: ["attempt": "\(job.attempt)", "error": "\(message)"]) }
        }
        // Recorded as soon as the database takes it: an outage fails the attempt and its record alike, and a job left
        // `running` would wait out its lease. Given up once the lease must have expired (the job is reclaimed then).
        let giveUp = ContinuousClock.now + settings.lease
        var pause = Duration.milliseconds(50)
        while true {
            do {
                try await bounded { [jobs, settings] in
                    try await jobs.fail(job, worker: settings.worker, error: message, errorType: type, retryAt: retryAt,
                                        refundAttempt: refund, logger: logger)
                }
                return
            } catch {
                guard !Task.isCancelled, ContinuousClock.now + pause < giveUp else {
                    // The lease will expire and the job will be reclaimed: late, but not lost.
                    logger.error("could not record the failure", metadata: ["error": "\(String(reflecting: error))"])
                    return
                }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(1))
            }
        }
    }

    /// LISTENs on a connection of its own (`NotificationListener`); every (re)connect wakes the claim loop, a sweep
    /// for what was missed while it was down.
    private func listen() async {
        let listener = NotificationListener(url: listenURL, channel: Self.channel, applicationName: listenerName,
                                            deadline: database.pool.deadlines.standard, logger: logger)
        await listener.run { listening in
            let restored = state.withLock { state in
                defer { state.listening = listening }
                return listening && !state.listening && state.listenLost
            }
            if restored { logger.notice("job LISTEN connection restored") }
            if listening {
                state.withLock { $0.listenLost = false }
                wake.yield()
            }
        } lost: { error, failures in
            state.withLock { $0.listenLost = true }
            metrics?.reconnects.increment()
            logger.warning("job LISTEN connection lost; polling until it is back",
                           metadata: ["error": "\(String(reflecting: error))", "failures": "\(failures)"])
        } notification: { _ in
            wake.yield()
        }
    }

    private func renewLeases() async {
        let held = Array(state.withLock { $0.inFlight })
        do {
            _ = try await bounded { [jobs, settings, logger] in
                try await jobs.renew(worker: settings.worker, jobs: held, lease: settings.lease, logger: logger)
            }
        } catch {
            logger.warning("renewing job leases failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Jobs of runners that stopped without finishing them (their lease expired) back to pending, or dead after their
    /// last attempt; wakes the claim loop when there were any.
    private func reclaimExpired() async {
        do {
            let reclaimed = try await bounded { [jobs, logger] in try await jobs.reclaimExpired(logger: logger) }
            if reclaimed > 0 {
                logger.warning("reclaimed jobs whose runner stopped without finishing them", metadata: ["jobs": "\(reclaimed)"])
                wake.yield()
            }
        } catch {
            logger.warning("reclaiming expired job leases failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// The done jobs' history kept (days past retention dropped), idempotency keys past retention purged in batches,
    /// depth gauge.
    private func housekeeping() async {
        do {
            _ = try await bounded { [jobs, settings, logger] in try await jobs.keepHistory(retention: settings.retention, logger: logger) }
            while try await bounded({ [idempotencyKeys, logger] in try await idempotencyKeys.purgeExpired(limit: 1000, logger: logger) }) == 1000 {}
            metrics?.depth.set(Int64(try await bounded { [jobs, logger] in try await jobs.depth(logger: logger) }))
        } catch {
            logger.warning("job housekeeping failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// One of the runner's own database calls, waited for at most the pool's deadline and the time the pool takes to
    /// give up on a lease (decisions D35): whatever happens below it, the loop that made it goes on.
    private func bounded<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async throws -> T {
        try await awaitAtMost(database.pool.deadlines.standard + ConnectionPool.abandonAfter + .seconds(1), call)
    }

    private func tick(every interval: Duration, _ body: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            await body()
        }
    }
}
