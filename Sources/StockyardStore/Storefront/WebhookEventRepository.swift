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

    /// Stores deliveries of any companies, with a `webhook.process` job for each new event, in one statement (one
    /// commit, one NOTIFY for the lot; decisions D21). Per delivery, in order: true when it was stored now; false for a
    /// duplicate or a retry (stored before, or earlier in this batch): nothing new happens for it. Returns once the
    /// statement has committed, so the storefront is answered for stored events only (an explicit transaction:
    /// decisions D32).
    public func ingest(_ deliveries: [(company: Int64, delivery: WebhookDelivery)], logger: Logger) async throws -> [Bool] {
        let batch = deliveries.map(\.delivery)
        let stored = try await database.withTransaction(logger: logger) { connection in
            var stored: [String] = []
            let rows = try await connection.execute(Ingest(values: [
                deliveries.map(\.company), batch.map(\.shop), batch.map(\.eventKey), batch.map { $0.webhookId ?? "" }, batch.map(\.topic),
                batch.map { $0.apiVersion ?? "" }, batch.map { $0.triggeredAt?.rfc3339Microseconds ?? "" }, batch.map(\.body),
            ]), logger: logger)
            for try await row in rows {
                let (shop, key) = try row.decode((Int64, String).self)
                stored.append("\(shop):\(key)")
            }
            return stored
        }
        var fresh = Set(stored)
        return batch.map { fresh.remove("\($0.shop):\($0.eventKey)") != nil }
    }

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
        static let sql = "SELECT shop_id, event_key FROM stockyard.ingest_webhooks($1, $2, $3, $4, $5, $6, $7, $8)"
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
