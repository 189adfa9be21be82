import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// What a runner does to the jobs table: claim a batch, finish or fail each job, keep leases alive, and the
/// housekeeping (expired leases, done-job retention). Claims and housekeeping go through the SECURITY DEFINER
/// functions of migration 0008; a job's own writes happen in its company's scope.
public struct JobRunnerRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Up to `limit` due jobs (of `kinds` only, when given), leased to `worker` for `lease`; and when the next delayed
    /// job (debounced, or waiting for a retry) is due, which the caller needs when the claim came back short. One
    /// statement: the lookup rides on every row, and on a row of NULL job columns when nothing was claimed. Both see
    /// the statement's snapshot, which is enough: the lookup counts only jobs due later than now, never one the
    /// claim could take.
    public func claim(worker: String, limit: Int, lease: Duration, kinds: [String]? = nil,
                      logger: Logger) async throws -> (jobs: [ClaimedJob], nextDue: Date?) {
        try await database.withConnection { connection in
            let rows = try await connection.query("""
                SELECT c.company_id, c.id, c.kind, c.payload::text, c.attempts, c.max_attempts, c.run_at, c.created_at, n.next_due
                FROM (SELECT stockyard.next_job_due(\(kinds)::text[]) AS next_due) n
                LEFT JOIN LATERAL stockyard.claim_jobs(\(worker), \(limit)::int, make_interval(secs => \(lease.inSeconds)),
                                                       \(kinds)::text[]) c ON true
                """, logger: logger)
            var jobs: [ClaimedJob] = [], nextDue: Date?
            for try await row in rows {
                let (company, id, kind, payload, attempt, maxAttempts, runAt, createdAt, due)
                    = try row.decode((Int64?, Int64?, String?, String?, Int?, Int?, Date?, Date?, Date?).self)
                nextDue = due
                guard let company, let id, let kind, let payload, let attempt, let maxAttempts, let runAt, let createdAt else { continue }
                jobs.append(ClaimedJob(companyID: company, id: id, kind: kind, payload: try JSONValue(text: payload),
                                       attempt: attempt, maxAttempts: maxAttempts, runAt: runAt, createdAt: createdAt))
            }
            return (jobs, nextDue)
        }
    }

    /// Marks the job done inside the handler's transaction (`connection`, in the job's company). Throws
    /// `LeaseLost` when the job is no longer this worker's, so the handler's effects roll back with it. Returns when
    /// the next job of the same key is due, if one waits: it waited for this one, and this runner is the one that
    /// knows when it can go.
    @discardableResult
    public func complete(_ job: ClaimedJob, worker: String, on connection: PostgresConnection, logger: Logger) async throws -> Date? {
        guard let row = try await connection.firstRow(Complete(values: [job.companyID, job.id, worker]), logger: logger) else {
            throw LeaseLost(jobID: job.id)
        }
        return try row.decode(Date?.self)
    }

    /// Marks done the jobs `worker` ran whose handlers wrote nothing of their own (batched acks); returns the ids
    /// it marked (a job whose lease was lost meanwhile is left to the runner that holds it now).
    public func complete(jobs: [JobKey], worker: String, logger: Logger) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        return try await database.withConnection { connection in
            Set(try await connection.query(
                "SELECT stockyard.complete_jobs(\(worker), \(jobs.map(\.companyID)), \(jobs.map(\.id)))", logger: logger
            ).collect().map { try $0.decode(Int64.self) })
        }
    }

    /// Records a failed attempt: `failed` with the next run time, or `dead` when `retryAt` is nil. With
    /// `refundAttempt` (a deferral, not a failure) the attempt the claim counted is given back.
    public func fail(_ job: ClaimedJob, worker: String, error: String, errorType: String, retryAt: Date?,
                     refundAttempt: Bool = false, logger: Logger) async throws {
        try await database.withCompany(job.companyID, logger: logger) { connection in
            try await connection.query("""
                UPDATE stockyard.sync_jobs
                SET state = CASE WHEN \(retryAt)::timestamptz IS NULL THEN 'dead' ELSE 'failed' END,
                    attempts = CASE WHEN \(refundAttempt) THEN greatest(attempts - 1, 0) ELSE attempts END,
                    run_at = coalesce(\(retryAt), run_at), finished_at = CASE WHEN \(retryAt)::timestamptz IS NULL THEN now() END,
                    locked_until = NULL, locked_by = NULL, last_error = left(\(error), 2000), last_error_type = \(errorType)
                WHERE company_id = \(job.companyID) AND id = \(job.id) AND state = 'running' AND locked_by = \(worker)
                """, logger: logger)
        }
    }

    /// Extends the leases of the jobs `worker` holds; returns how many it still holds.
    @discardableResult
    public func renew(worker: String, jobs: [JobKey], lease: Duration, logger: Logger) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await database.withConnection { connection in
            try await connection.query("""
                SELECT stockyard.renew_job_leases(\(worker), \(jobs.map(\.companyID)), \(jobs.map(\.id)),
                                                  make_interval(secs => \(lease.inSeconds)))
                """, logger: logger).collect()[0].decode(Int.self)
        }
    }

    /// Jobs whose lease expired (their runner died) back to pending, or dead after their last attempt.
    @discardableResult
    public func reclaimExpired(logger: Logger) async throws -> Int {
        try await database.withConnection { connection in
            try await connection.query("SELECT stockyard.reclaim_expired_jobs()", logger: logger).collect()[0].decode(Int.self)
        }
    }

    /// Gives back jobs this worker claimed but will not finish (a graceful stop): pending, the attempt not counted.
    @discardableResult
    public func release(worker: String, jobs: [JobKey], logger: Logger) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await database.withConnection { connection in
            try await connection.query(
                "SELECT stockyard.release_jobs(\(worker), \(jobs.map(\.companyID)), \(jobs.map(\.id)))", logger: logger
            ).collect()[0].decode(Int.self)
        }
    }

    /// The history's upkeep (migration 0020): partitions for the days ahead, the days past `retention` dropped.
    /// Returns the partitions dropped plus the rows of the default partition deleted.
    @discardableResult
    public func keepHistory(retention: Duration, logger: Logger) async throws -> Int {
        try await database.withConnection { connection in
            try await connection.query(
                "SELECT stockyard.keep_job_history(make_interval(secs => \(retention.inSeconds)))", logger: logger
            ).collect()[0].decode(Int.self)
        }
    }

    /// Jobs waiting (pending or failed) across companies, for the queue-depth gauge.
    public func depth(logger: Logger) async throws -> Int {
        try await database.withConnection { connection in
            try await connection.query("SELECT stockyard.sync_job_depth()", logger: logger).collect()[0].decode(Int.self)
        }
    }
}

/// A job's primary key.
public struct JobKey: Sendable, Hashable {
    public let companyID: Int64
    public let id: Int64
    public init(companyID: Int64, id: Int64) {
        self.companyID = companyID
        self.id = id
    }
}

/// The job is no longer leased to this runner (its lease expired and it was reclaimed): its effects must not commit.
public struct LeaseLost: Error, Sendable {
    public let jobID: Int64
}

extension JobRunnerRepository {
    /// The ack of a job that wrote in its own transaction (cached plan): no row when the lease was lost, else when
    /// the next job of the same key is due, if one waits (pending, or failed and due for a retry). Migration 0018.
    struct Complete: CachedStatement {
        static let sql = "SELECT next_of_key FROM stockyard.complete_leased_job($1, $2, $3)"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }
}
