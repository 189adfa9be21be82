import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Inbound webhooks: find the shop by domain and store each event once with its processing job in the same statement
/// (the two steps before a tenant is known, both `SECURITY DEFINER` functions), and let the job read and settle it.
public struct WebhookEventRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func shop(forDomain domain: String, logger: Logger) async throws -> WebhookShop? {
        try await database.withConnection { connection in
            let rows = try await connection.query("""
                SELECT company_id, shop_id, webhook_secret_sealed, previous_webhook_secret_sealed, previous_webhook_secret_expires_at
                FROM stockyard.shop_for_webhook(\(domain))
                """, logger: logger)
            for try await (company, shop, secret, previous, expires) in rows.decode((Int64, Int64, Data, Data?, Date?).self) {
                return WebhookShop(company: company, shop: shop, webhookSecretSealed: secret, previousWebhookSecretSealed: previous,
                                   previousWebhookSecretExpiresAt: expires)
            }
            return nil
        }
    }

    /// Stores deliveries of any companies, with a `webhook.process` job for each new event, in one call (one commit
    /// for the lot; decisions D21). Per delivery, in order: true when it was stored now; false for a duplicate or a
    /// retry (stored before, or earlier in this batch): nothing new happens for it. The procedure commits before it
    /// replies, so the storefront is answered for durably stored events only (D32), and then wakes the runners from a
    /// transaction of its own (migration 0026, decisions D33).
    public func ingest(_ deliveries: [(company: Int64, delivery: WebhookDelivery)], logger: Logger) async throws -> [Bool] {
        let batch = deliveries.map(\.delivery)
        let row = try await database.withConnection { connection in
            try await connection.firstRow(Ingest(values: [
                deliveries.map(\.company), batch.map(\.shop), batch.map(\.eventKey), batch.map { $0.webhookId ?? "" }, batch.map(\.topic),
                batch.map { $0.apiVersion ?? "" }, batch.map { $0.triggeredAt?.rfc3339Microseconds ?? "" }, batch.map(\.body),
            ]), logger: logger)
        }
        guard let row else { throw IngestReturnedNothing() }
        let (shops, keys) = try row.decode(([Int64], [String]).self)
        var fresh = Set(zip(shops, keys).map { "\($0):\($1)" })
        return batch.map { fresh.remove("\($0.shop):\($0.eventKey)") != nil }
    }

    /// A CALL always returns its one row of INOUT values; without it, whether the batch was stored is unknown.
    struct IngestReturnedNothing: Error {}

    public static func event(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> WebhookEvent? {
        guard let row = try await connection.firstRow(EventForUpdate(values: [company, id]), logger: logger) else { return nil }
        let (id, shop, topic, triggered, received, payload, processed) = try row.decode((Int64, Int64, String, Date?, Date, String, Date?).self)
        return WebhookEvent(id: id, shop: shop, topic: topic, triggeredAt: triggered, receivedAt: received, payload: try JSONValue(text: payload),
                            processedAt: processed)
    }

    public static func markProcessed(_ id: Int64, outcome: String, company: Int64, on connection: PostgresConnection,
                                     logger: Logger) async throws {
        try await connection.run(MarkProcessed(values: [company, id, String(outcome.prefix(1000))]), logger: logger)
    }
}

/// The ingest and the statements every webhook's job runs (cached plans).
extension WebhookEventRepository {
    struct Ingest: CachedStatement {
        static let sql = "CALL stockyard.ingest_webhooks_committed($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct EventForUpdate: CachedStatement {
        static let sql = """
            SELECT id, shop_id, topic, triggered_at, received_at, payload::text, processed_at FROM stockyard.webhook_events
            WHERE company_id = $1 AND id = $2 FOR UPDATE
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    struct MarkProcessed: CachedStatement {
        static let sql = "UPDATE stockyard.webhook_events SET processed_at = now(), outcome = $3 WHERE company_id = $1 AND id = $2"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }
}
