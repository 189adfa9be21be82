import Foundation
import Logging
import PostgresNIO
import StockyardCore
import StockyardStore
import Synchronization

/// Runs the jobs of one kind. Throw `JobFailure.permanent` for a failure retrying cannot fix; any other error is
/// retried with backoff until the job's `max_attempts`.
public protocol JobHandler: Sendable {
    func run(_ job: ClaimedJob, context: JobContext) async throws
}

/// A handler from a closure.
public struct ClosureJobHandler: JobHandler {
    let body: @Sendable (ClaimedJob, JobContext) async throws -> Void
    public init(_ body: @escaping @Sendable (ClaimedJob, JobContext) async throws -> Void) { self.body = body }
    public func run(_ job: ClaimedJob, context: JobContext) async throws { try await body(job, context) }
}

/// What a handler works with: its company's database scope, and the way to finish the job together with its
/// last writes. A handler that never calls `finish` is marked done by the runner after it returns.
public final class JobContext: Sendable {
    public let job: ClaimedJob
    public let logger: Logger
    /// The runner's database: repositories built on it join `transaction` and `finish` (same pool and company).
    public let database: Database
    let runner: JobRunnerRepository
    let worker: String
    /// Whether `finish` committed, and when the next job of the same key is due, if one waits.
    private let finished = Mutex<(done: Bool, nextOfKey: Date?)>((false, nil))

    init(job: ClaimedJob, database: Database, runner: JobRunnerRepository, worker: String, logger: Logger) {
        self.job = job
        self.database = database
        self.runner = runner
        self.worker = worker
        self.logger = logger
    }

    /// A transaction in the job's company (row-level security applies: it sees that company's rows only).
    /// Keep remote calls outside it: a transaction must not wait on a storefront.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withCompany(job.companyID, logger: logger, body)
    }

    /// `body`'s writes and the job's `done` in one transaction: both commit or neither does (a job whose lease
    /// was lost meanwhile rolls back and leaves the job to the runner that holds it now).
    public func finish<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let (result, nextOfKey) = try await database.withCompany(job.companyID, logger: logger) { connection in
            let result = try await body(connection)
            return (result, try await runner.complete(job, worker: worker, on: connection, logger: logger))
        }
        finished.withLock { $0 = (true, nextOfKey) }
        return result
    }

    /// For a handler whose last write and the job's `done` are one statement of its own (a function that completes
    /// the job for `worker`, as `finish_inventory_push` does): runs it and records the finish it reports, that is when
    /// the next job of the key is due, if one waits. It must throw `LeaseLost` when the lease was lost.
    public func finish(inOneStatement body: (_ worker: String) async throws -> Date?) async throws {
        let nextOfKey = try await body(worker)
        finished.withLock { $0 = (true, nextOfKey) }
    }

    var isFinished: Bool { finished.withLock { $0.done } }

    /// When the next job of this job's key is due, if one waits (known once `finish` committed).
    var nextOfKey: Date? { finished.withLock { $0.nextOfKey } }
}

/// Kind → handler. A job whose kind has no handler goes dead with an error that names the kind.
public struct JobHandlers: Sendable {
    private var handlers: [String: any JobHandler] = [:]

    public init() {}

    public mutating func register(_ kind: String, _ handler: any JobHandler) {
        handlers[kind] = handler
    }

    public func handler(for kind: String) -> (any JobHandler)? { handlers[kind] }

    public var kinds: [String] { handlers.keys.sorted() }
}
