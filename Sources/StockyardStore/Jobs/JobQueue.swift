import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Enqueues sync jobs inside the caller's transaction (the outbox): the job commits with the change that causes
/// it, or not at all. SQL writers use `stockyard.enqueue_job(kind, key, payload, run_at)` the same way.
public enum JobQueue {
    public struct Options: Sendable {
        public var dedupeKey: String?
        public var runAt: Date?
        public var priority: Int16
        public var maxAttempts: Int

        public init(dedupeKey: String? = nil, runAt: Date? = nil, priority: Int16 = 0, maxAttempts: Int = 10) {
            self.dedupeKey = dedupeKey
            self.runAt = runAt
            self.priority = priority
            self.maxAttempts = maxAttempts
        }
    }

    /// One job, in the transaction `connection` is in (a `Database.withCompany` body); returns its id. With a
    /// dedupe key, a pending job of the same company, kind and key takes the new payload instead (the earlier
    /// `run_at` wins), and its id is returned.
    @discardableResult
    public static func enqueue(on connection: PostgresConnection, kind: String, payload: JSONValue,
                               options: Options = Options(), logger: Logger) async throws -> Int64 {
        try await connection.query("""
            SELECT stockyard.enqueue_job(\(kind), \(options.dedupeKey), \(payload.text)::jsonb, \(options.runAt),
                                         \(options.priority)::smallint, \(options.maxAttempts)::int)
            """, logger: logger).collect()[0].decode(Int64.self)
    }

    /// Many jobs of one kind in one statement (no dedupe keys), in the caller's transaction; returns their ids.
    @discardableResult
    public static func enqueue(on connection: PostgresConnection, kind: String, payloads: [JSONValue],
                               logger: Logger) async throws -> [Int64] {
        guard !payloads.isEmpty else { return [] }
        return try await connection.query("""
            INSERT INTO stockyard.sync_jobs (company_id, kind, payload)
            SELECT stockyard.current_company(), \(kind), p FROM unnest(\(payloads.map(\.text))::jsonb[]) AS p
            RETURNING id
            """, logger: logger).collect().map { try $0.decode(Int64.self) }
    }
}
