import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Drift records: written by the push, the webhooks and the reconcile inside their own transactions, listed by
/// the API, resolved when the storefront holds the published value again.
public struct DriftRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public static func record(_ drift: DriftObservation, company: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO stockyard.drift_events AS d (company_id, shop_id, class, storefront_location_id, variant_id, expected,
                                                     actual, detail, source)
            VALUES (\(company), \(drift.shop), \(drift.driftClass.rawValue), \(drift.storefrontLocation), \(drift.variant),
                    \(drift.expected)::int, \(drift.actual)::int, \(String(drift.detail.prefix(2000))), \(drift.source))
            ON CONFLICT (company_id, shop_id, class, coalesce(storefront_location_id, 0), coalesce(variant_id, 0))
                WHERE resolved_at IS NULL
            DO UPDATE SET expected = EXCLUDED.expected, actual = EXCLUDED.actual, detail = EXCLUDED.detail, source = EXCLUDED.source,
                          occurrences = d.occurrences + 1, last_detected_at = now()
            """, logger: logger)
    }

    /// Closes the open drift of a (location, variant) once the storefront holds what Stockyard published.
    public static func resolve(storefrontLocation: Int64, variant: Int64, resolution: String, company: Int64,
                               on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(Resolve(values: [company, storefrontLocation, variant, resolution]), logger: logger)
    }

    public func list(shop: Int64, includeResolved: Bool, driftClass: DriftClass?, page: PageRequest, company: Int64,
                     logger: Logger) async throws -> Page<DriftEvent> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT id, shop_id, class, storefront_location_id, variant_id, expected, actual, detail, source, occurrences,
                       detected_at, last_detected_at, resolved_at, resolution
                FROM stockyard.drift_events
                WHERE company_id = \(company) AND shop_id = \(shop) AND id > \(page.afterID)
                  AND (\(includeResolved) OR resolved_at IS NULL)
                  AND (\(driftClass?.rawValue)::text IS NULL OR class = \(driftClass?.rawValue))
                ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            var events: [DriftEvent] = []
            for try await row in rows {
                let c = row.makeRandomAccess()
                events.append(DriftEvent(
                    id: try c[0].decode(Int64.self), shopId: try c[1].decode(Int64.self),
                    class: DriftClass(rawValue: try c[2].decode(String.self)) ?? .storefrontDelay,
                    storefrontLocationId: try c[3].decode(Int64?.self), variantId: try c[4].decode(Int64?.self),
                    expected: try c[5].decode(Int?.self), actual: try c[6].decode(Int?.self), detail: try c[7].decode(String.self),
                    source: try c[8].decode(String.self), occurrences: try c[9].decode(Int.self), detectedAt: try c[10].decode(Date.self),
                    lastDetectedAt: try c[11].decode(Date.self), resolvedAt: try c[12].decode(Date?.self),
                    resolution: try c[13].decode(String?.self)))
            }
            return page.page(from: events, id: \.id)
        }
    }
}

extension DriftRepository {
    /// Run by every successful push (cached plan).
    struct Resolve: CachedStatement {
        static let sql = """
            UPDATE stockyard.drift_events SET resolved_at = now(), resolution = $4
            WHERE company_id = $1 AND storefront_location_id = $2 AND variant_id = $3
              AND resolved_at IS NULL AND class IN \(settledByPublishing)
            """
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }

    /// The classes of drift that the storefront holding the published value again puts right; the others (identity,
    /// mapping, access) need someone to act.
    static let classesSettledByPublishing: [DriftClass] = [.directionConflict, .bufferReservation, .storefrontDelay]

    /// `classesSettledByPublishing` as an SQL list.
    static let settledByPublishing = "(" + classesSettledByPublishing.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
}
