import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Inbound webhooks: find the shop by domain (the one cross-tenant lookup), store each event once with its
/// processing job in the same statement, and let the job read and settle it.
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

    /// Stores the delivery and enqueues its `webhook.process` job; false when the event was stored before (a
    /// duplicate or a retry: nothing new happens).
    @discardableResult
    public func ingest(_ delivery: WebhookDelivery, company: Int64, logger: Logger) async throws -> Bool {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                WITH event AS (
                    INSERT INTO stockyard.webhook_events (company_id, shop_id, event_key, webhook_id, topic, api_version,
                                                          triggered_at, payload)
                    VALUES (\(company), \(delivery.shop), \(delivery.eventKey), \(delivery.webhookId), \(delivery.topic),
                            \(delivery.apiVersion), \(delivery.triggeredAt), \(delivery.body)::jsonb)
                    ON CONFLICT (company_id, shop_id, event_key) DO NOTHING
                    RETURNING id
                )
                INSERT INTO stockyard.sync_jobs (company_id, kind, payload)
                SELECT \(company), 'webhook.process', jsonb_build_object('event_id', id) FROM event
                RETURNING id
                """, logger: logger)
            return try await rows.collect().first != nil
        }
    }

    public static func event(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> WebhookEvent? {
        let rows = try await connection.query("""
            SELECT id, shop_id, topic, triggered_at, received_at, payload::text, processed_at FROM stockyard.webhook_events
            WHERE company_id = \(company) AND id = \(id) FOR UPDATE
            """, logger: logger)
        for try await (id, shop, topic, triggered, received, payload, processed)
            in rows.decode((Int64, Int64, String, Date?, Date, String, Date?).self) {
            return WebhookEvent(id: id, shop: shop, topic: topic, triggeredAt: triggered, receivedAt: received, payload: try JSONValue(text: payload),
                                processedAt: processed)
        }
        return nil
    }

    public static func markProcessed(_ id: Int64, outcome: String, company: Int64, on connection: PostgresConnection,
                                     logger: Logger) async throws {
        try await connection.query("""
            UPDATE stockyard.webhook_events SET processed_at = now(), outcome = \(String(outcome.prefix(1000)))
            WHERE company_id = \(company) AND id = \(id)
            """, logger: logger)
    }
}
