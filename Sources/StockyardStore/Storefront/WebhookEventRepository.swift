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

    /// Stores deliveries of several companies in one transaction (one commit, one NOTIFY for the lot), each company's
    /// under its own tenant (`Database.withCompanies`), and enqueues a `webhook.process` job for each new event.
    /// Per delivery, in order: true when it was stored now; false for a duplicate or a retry (stored before, or
    /// earlier in this batch): nothing new happens for it.
    public func ingest(_ deliveries: [(company: Int64, delivery: WebhookDelivery)], logger: Logger) async throws -> [Bool] {
        var companies: [Int64] = [], byCompany: [Int64: [WebhookDelivery]] = [:]
        for (company, delivery) in deliveries {
            if byCompany[company] == nil { companies.append(company) }
            byCompany[company, default: []].append(delivery)
        }
        let stored = try await database.withCompanies(companies, logger: logger) { company, connection in
            try await Self.insert(byCompany[company] ?? [], company: company, on: connection, logger: logger)
        }
        var fresh = Set(zip(companies, stored).flatMap { company, keys in keys.map { "\(company):\($0)" } })
        return deliveries.map { fresh.remove("\($0.company):\($0.delivery.shop):\($0.delivery.eventKey)") != nil }
    }

    /// Inserts one company's deliveries with their jobs; the "shop:event key" of each one stored now.
    static func insert(_ deliveries: [WebhookDelivery], company: Int64, on connection: PostgresConnection,
                       logger: Logger) async throws -> [String] {
        let stamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        // Arrays of optionals do not bind: '' stands for NULL (nullif below).
        return try await connection.query("""
            WITH event AS (
                INSERT INTO stockyard.webhook_events (company_id, shop_id, event_key, webhook_id, topic, api_version,
                                                      triggered_at, payload)
                SELECT \(company), d.shop, d.key, nullif(d.webhook, ''), d.topic, nullif(d.version, ''),
                       nullif(d.triggered, '')::timestamptz, d.body::jsonb
                FROM unnest(\(deliveries.map(\.shop))::bigint[], \(deliveries.map(\.eventKey))::text[],
                            \(deliveries.map { $0.webhookId ?? "" })::text[], \(deliveries.map(\.topic))::text[],
                            \(deliveries.map { $0.apiVersion ?? "" })::text[],
                            \(deliveries.map { $0.triggeredAt.map(stamp.format) ?? "" })::text[], \(deliveries.map(\.body))::text[])
                     WITH ORDINALITY AS d(shop, key, webhook, topic, version, triggered, body, n)
                ORDER BY d.n
                ON CONFLICT (company_id, shop_id, event_key) DO NOTHING
                RETURNING id, shop_id, event_key
            ), job AS (
                INSERT INTO stockyard.sync_jobs (company_id, kind, payload)
                SELECT \(company), 'webhook.process', jsonb_build_object('event_id', id) FROM event
            )
            SELECT shop_id, event_key FROM event
            """, logger: logger).collect().map { row in
                let (shop, key) = try row.decode((Int64, String).self)
                return "\(shop):\(key)"
            }
    }

    public static func event(_ id: Int64, company: Int64, on connection: PostgresConnection, logger: Logger) async throws -> WebhookEvent? {
        for try await row in try await connection.execute(EventForUpdate(values: [company, id]), logger: logger) {
            let (id, shop, topic, triggered, received, payload, processed) = try row.decode((Int64, Int64, String, Date?, Date, String, Date?).self)
            return WebhookEvent(id: id, shop: shop, topic: topic, triggeredAt: triggered, receivedAt: received, payload: try JSONValue(text: payload),
                                processedAt: processed)
        }
        return nil
    }

    public static func markProcessed(_ id: Int64, outcome: String, company: Int64, on connection: PostgresConnection,
                                     logger: Logger) async throws {
        try await connection.run(MarkProcessed(values: [company, id, String(outcome.prefix(1000))]), logger: logger)
    }
}

/// The statements every webhook's job runs (cached plans).
extension WebhookEventRepository {
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
