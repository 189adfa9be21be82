import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// The operators' view of the sync jobs, always inside one company's scope. Reads see every job through
/// `reporting.sync_jobs` (the queue's table and the done jobs' history, migration 0020); transitions apply to the queue's.
public struct JobRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    static let columns = """
        id, kind, dedupe_key, payload::text, state, priority, attempts, max_attempts, run_at, locked_until, locked_by,
        last_error, last_error_type, created_at, started_at, finished_at
        """

    public func list(company: Int64, filter: JobFilter, page: PageRequest, logger: Logger) async throws -> Page<SyncJob> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM reporting.sync_jobs
                WHERE company_id = \(company) AND id > \(page.afterID)
                  AND (\(filter.state?.rawValue)::text IS NULL OR state = \(filter.state?.rawValue))
                  AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
                ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decode(rows), id: \.id)
        }
    }

    public func get(id: Int64, company: Int64, logger: Logger) async throws -> SyncJob? {
        try await database.withCompany(company, logger: logger) { connection in
            try await load(id, company: company, on: connection, logger: logger)
        }
    }

    /// dead, failed or cancelled → pending now, attempts from zero. Anything else is a conflict naming the state,
    /// and so is a job whose dedupe key is already pending (that job does the same work).
    public func retry(id: Int64, company: Int64, logger: Logger) async throws -> SyncJob? {
        do {
            return try await transition(id, company: company, logger: logger, allowed: \.isRetryable, verb: "retried", set: """
                state = 'pending', attempts = 0, run_at = now(), finished_at = NULL
                """) { connection in
                // Wake the runners now rather than at their next poll.
                try await connection.query("SELECT pg_notify('stockyard_jobs', kind) FROM stockyard.sync_jobs WHERE company_id = \(company) AND id = \(id)",
                                           logger: logger)
            }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AppError.conflict("job \(id) cannot be retried: a pending job with the same kind and dedupe_key is queued and will do its work")
        }
    }

    /// pending or failed → cancelled. A running job cannot be cancelled (its handler may be mid-effect).
    public func cancel(id: Int64, company: Int64, logger: Logger) async throws -> SyncJob? {
        try await transition(id, company: company, logger: logger, allowed: \.isCancellable, verb: "cancelled", set: """
            state = 'cancelled', finished_at = now()
            """)
    }

    public func stats(company: Int64, logger: Logger) async throws -> JobStats {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT kind, pending, running, failed, dead, done, cancelled, oldest_due_seconds::float8,
                       CASE WHEN done_last_hour + failing_last_hour > 0
                            THEN failing_last_hour::float8 / (done_last_hour + failing_last_hour) END
                FROM reporting.sync_job_health WHERE company_id = \(company) ORDER BY kind
                """, logger: logger)
            var kinds: [JobStats.Kind] = []
            for try await row in rows {
                let (kind, pending, running, failed, dead, done, cancelled, oldest, rate)
                    = try row.decode((String, Int, Int, Int, Int, Int, Int, Double?, Double?).self)
                kinds.append(.init(kind: kind, pending: pending, running: running, failed: failed, dead: dead, done: done,
                                   cancelled: cancelled, oldestDueSeconds: oldest, failureRateLastHour: rate))
            }
            return JobStats(kinds: kinds)
        }
    }

    private func transition(_ id: Int64, company: Int64, logger: Logger, allowed: KeyPath<JobState, Bool>, verb: String,
                            set assignments: String,
                            then: ((PostgresConnection) async throws -> Void)? = nil) async throws -> SyncJob? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT state FROM stockyard.sync_jobs WHERE company_id = \(company) AND id = \(id) FOR UPDATE", logger: logger
            ).collect()
            guard let row = rows.first else {
                // A done job is in the history, and nothing moves it from there.
                guard let finished = try await load(id, company: company, on: connection, logger: logger) else { return nil }
                throw AppError.conflict("job \(id) is \(finished.state.rawValue) and cannot be \(verb)")
            }
            let state = JobState(rawValue: try row.decode(String.self)) ?? .pending
            guard state[keyPath: allowed] else { throw AppError.conflict("job \(id) is \(state.rawValue) and cannot be \(verb)") }
            try await connection.query("""
                UPDATE stockyard.sync_jobs SET \(unescaped: assignments)
                WHERE company_id = \(company) AND id = \(id)
                """, logger: logger)
            try await then?(connection)
            return try await load(id, company: company, on: connection, logger: logger)
        }
    }

    func load(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> SyncJob? {
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.columns) FROM reporting.sync_jobs WHERE company_id = \(company) AND id = \(id)", logger: logger)
        return try await Self.decode(rows).first
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [SyncJob] {
        var jobs: [SyncJob] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            jobs.append(SyncJob(
                id: try c[0].decode(Int64.self), kind: try c[1].decode(String.self), dedupeKey: try c[2].decode(String?.self),
                payload: try JSONValue(text: try c[3].decode(String.self)),
                state: JobState(rawValue: try c[4].decode(String.self)) ?? .pending, priority: try c[5].decode(Int.self),
                attempts: try c[6].decode(Int.self), maxAttempts: try c[7].decode(Int.self), runAt: try c[8].decode(Date.self),
                lockedUntil: try c[9].decode(Date?.self), lockedBy: try c[10].decode(String?.self),
                lastError: try c[11].decode(String?.self), lastErrorType: try c[12].decode(String?.self),
                createdAt: try c[13].decode(Date.self), startedAt: try c[14].decode(Date?.self), finishedAt: try c[15].decode(Date?.self)))
        }
        return jobs
    }
}
