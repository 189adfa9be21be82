import Foundation
import Logging
import NIOCore
import PostgresNIO
import StockyardCore

/// A response kept for an `Idempotency-Key`, replayed byte for byte to a retry.
public struct StoredResponse: Sendable {
    public let status: Int
    public let contentType: String?
    public let location: String?
    public let body: ByteBuffer

    public init(status: Int, contentType: String?, location: String?, body: ByteBuffer) {
        self.status = status
        self.contentType = contentType
        self.location = location
        self.body = body
    }
}

/// Runs a write at most once per (company, `Idempotency-Key`) within the retention window.
///
/// The key is claimed first, in the transaction that then runs the write (its repositories join it, see
/// `Database.withCompany`) and stores the response. So a retry after a commit replays the stored response, a
/// retry after a rollback (an error, a crash) runs again, and a concurrent duplicate waits on the claim's row
/// lock and then replays: the write never happens twice and never half.
public struct IdempotencyKeyRepository: Sendable {
    public enum Outcome: Sendable {
        case performed(StoredResponse)
        case replayed(StoredResponse)
    }

    /// How long a key is remembered (Stripe keeps them 24 hours); an older key may be reused for a new request.
    public static let retention: Duration = .seconds(24 * 3600)

    let database: Database

    public init(database: Database) { self.database = database }

    /// `fingerprint` identifies the request (method, path, body): the same key with another request is a 422.
    public func perform(key: String, fingerprint: [UInt8], company: Int64, logger: Logger,
                        _ write: () async throws -> StoredResponse) async throws -> Outcome {
        let retentionSeconds = Int(Self.retention.components.seconds)
        return try await database.withCompany(company, logger: logger) { connection in
            let claimed = try await connection.query("""
                INSERT INTO stockyard.idempotency_keys AS k (company_id, key, request_fingerprint)
                VALUES (\(company), \(key), \(ByteBuffer(bytes: fingerprint)))
                ON CONFLICT (company_id, key) DO UPDATE
                    SET request_fingerprint = EXCLUDED.request_fingerprint, created_at = now(), response_status = NULL,
                        response_content_type = NULL, response_location = NULL, response_body = NULL
                    WHERE k.created_at < now() - make_interval(secs => \(retentionSeconds))
                RETURNING true
                """, logger: logger).collect()
            guard claimed.isEmpty else {
                let response = try await write()
                try await connection.query("""
                    UPDATE stockyard.idempotency_keys
                    SET response_status = \(response.status), response_content_type = \(response.contentType),
                        response_location = \(response.location), response_body = \(response.body)
                    WHERE company_id = \(company) AND key = \(key)
                    """, logger: logger)
                return .performed(response)
            }
            let stored = try await connection.query("""
                SELECT request_fingerprint, response_status, response_content_type, response_location, response_body
                FROM stockyard.idempotency_keys WHERE company_id = \(company) AND key = \(key)
                """, logger: logger).collect()[0]
            let (storedFingerprint, status, contentType, location, body) =
                try stored.decode((ByteBuffer, Int, String?, String?, ByteBuffer).self)
            guard Array(storedFingerprint.readableBytesView) == fingerprint else {
                throw AppError.invalid(field: "Idempotency-Key",
                                       detail: "this Idempotency-Key was already used for a different request")
            }
            return .replayed(StoredResponse(status: status, contentType: contentType, location: location, body: body))
        }
    }

    /// Deletes up to `limit` keys of every company older than the retention window; returns how many went.
    @discardableResult
    public func purgeExpired(limit: Int = 1000, logger: Logger) async throws -> Int {
        let retentionSeconds = Int(Self.retention.components.seconds)
        return try await database.withConnection { connection in
            try await connection.query(
                "SELECT stockyard.purge_idempotency_keys(make_interval(secs => \(retentionSeconds)), \(limit)::int)", logger: logger
            ).collect()[0].decode(Int.self)
        }
    }
}
