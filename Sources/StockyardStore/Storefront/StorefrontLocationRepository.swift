import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// The location map: storefront locations, imported from the storefront and then classified, mapped, enabled or
/// excluded by a person. Changing a mapping republishes through the table's trigger (migration 0011).
public struct StorefrontLocationRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Adds the storefront's new locations (pending), renames known ones, and marks the ones it no longer lists
    /// inactive. Returns the whole map. Then the tables are analyzed (`StorefrontStatistics`).
    public func importListed(_ listed: [ListedStorefrontLocation], shop: Int64, company: Int64,
                             logger: Logger) async throws -> [StorefrontLocation] {
        let imported = try await database.withCompany(company, deadline: .long, logger: logger) { connection in
            try await connection.query("""
                WITH listed AS (
                    SELECT * FROM unnest(\(listed.map(\.externalId))::bigint[], \(listed.map(\.name))::text[]) AS l(external_id, name)
                ), upserted AS (
                    INSERT INTO stockyard.storefront_locations (company_id, shop_id, external_id, name)
                    SELECT \(company), \(shop), external_id, name FROM listed
                    ON CONFLICT (company_id, shop_id, external_id)
                    DO UPDATE SET name = EXCLUDED.name, active = true, updated_at = now()
                    RETURNING id
                )
                UPDATE stockyard.storefront_locations SET active = false, updated_at = now()
                WHERE company_id = \(company) AND shop_id = \(shop) AND active
                  AND external_id <> ALL (SELECT external_id FROM listed)
                """, logger: logger)
            return try await list(shop: shop, company: company, on: connection, logger: logger)
        }
        await StorefrontStatistics.refresh(database, logger: logger)
        return imported
    }

    public func list(shop: Int64, page: PageRequest, company: Int64, logger: Logger) async throws -> Page<StorefrontLocation> {
        try await database.withCompany(company, logger: logger) { connection in
            page.page(from: try await list(shop: shop, company: company, after: page.afterID, limit: page.limit + 1, on: connection,
                                           logger: logger), id: \.id)
        }
    }

    /// The shop's locations in id order after `after`, at most `limit` of them (all without one).
    func list(shop: Int64, company: Int64, after: Int64 = 0, limit: Int? = nil, on connection: PostgresConnection,
              logger: Logger) async throws -> [StorefrontLocation] {
        try await Self.decode(connection.query("""
            SELECT \(unescaped: Self.columns) FROM stockyard.storefront_locations sl
            LEFT JOIN stockyard.stock_locations m ON m.company_id = sl.company_id AND m.id = sl.location_id
            WHERE sl.company_id = \(company) AND sl.shop_id = \(shop) AND sl.id > \(after) ORDER BY sl.id LIMIT \(limit)
            """, logger: logger))
    }

    /// Applies `changes` to one location of `shop`; nil when it does not exist. The mapped location must be able to
    /// hold the shop's stock (internal, or a view over internal locations).
    public func update(id: Int64, shop: Int64, changes: StorefrontLocationChanges, company: Int64,
                       logger: Logger) async throws -> StorefrontLocation? {
        for (field, isNull) in [("sync", changes.sync == .null), ("buffer", changes.buffer == .null), ("notes", changes.notes == .null)]
        where isNull {
            throw AppError.invalid(field: field, detail: "'\(field)' must not be null")
        }
        if case .value(let buffer) = changes.buffer, !(0...1_000_000).contains(buffer) {
            throw AppError.invalid(field: "buffer", detail: "'buffer' must be a whole number of units between 0 and 1000000")
        }
        let notes: String? = if case .value(let notes) = changes.notes {
            try TextInput.validate(notes, field: "notes", maxLength: 2000, allowEmpty: true)
        } else { nil }
        do {
            return try await database.withCompany(company, logger: logger) { connection in
                if case .value(let location) = changes.locationId {
                    let usage = try await connection.query("""
                        SELECT usage FROM stockyard.stock_locations WHERE company_id = \(company) AND id = \(location)
                        """, logger: logger).collect().first?.decode(String.self)
                    guard let usage else { throw AppError.invalid(field: "location_id", detail: "location \(location) does not exist") }
                    guard usage == LocationUsage.internal.rawValue || usage == LocationUsage.view.rawValue else {
                        throw AppError.invalid(field: "location_id",
                                               detail: "a storefront location maps to an internal location or a view over them, not a \(usage) location")
                    }
                }
                let rows = try await connection.query("""
                    UPDATE stockyard.storefront_locations SET
                        kind = CASE WHEN \(!changes.kind.isAbsent) THEN \(changes.kind.applied(to: nil)?.rawValue) ELSE kind END,
                        location_id = CASE WHEN \(!changes.locationId.isAbsent) THEN \(changes.locationId.applied(to: nil))::bigint
                                           ELSE location_id END,
                        sync = coalesce(\(changes.sync.applied(to: nil)?.rawValue), sync),
                        buffer = coalesce(\(changes.buffer.applied(to: nil))::int, buffer),
                        notes = coalesce(\(notes), notes),
                        direction = CASE WHEN \(!changes.direction.isAbsent) THEN \(changes.direction.applied(to: nil)?.rawValue)
                                         ELSE direction END,
                        updated_at = now()
                    WHERE company_id = \(company) AND shop_id = \(shop) AND id = \(id)
                    RETURNING id
                    """, logger: logger)
                guard try await rows.collect().first != nil else { return nil }
                return try await list(shop: shop, company: company, after: id - 1, limit: 1, on: connection, logger: logger).first { $0.id == id }
            }
        } catch let error as PSQLError where error.sqlState == "23514" {
            throw AppError.invalid(field: "sync", detail: "a location is enabled only once it has a 'kind' and a mapped 'location_id'")
        }
    }

    static let columns = """
        sl.id, sl.shop_id, sl.external_id, sl.name, sl.kind, sl.location_id, m.complete_name, sl.sync, sl.buffer, sl.notes,
        sl.direction, sl.active, sl.updated_at
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [StorefrontLocation] {
        var locations: [StorefrontLocation] = []
        for try await row in rows {
            let c = row.makeRandomAccess()
            locations.append(StorefrontLocation(
                id: try c[0].decode(Int64.self), shopId: try c[1].decode(Int64.self), externalId: try c[2].decode(Int64.self),
                name: try c[3].decode(String.self), kind: try c[4].decode(String?.self).flatMap(StorefrontLocationKind.init(rawValue:)),
                locationId: try c[5].decode(Int64?.self), locationCompleteName: try c[6].decode(String?.self),
                sync: StorefrontLocationSync(rawValue: try c[7].decode(String.self)) ?? .pending, buffer: try c[8].decode(Int.self),
                notes: try c[9].decode(String.self), direction: try c[10].decode(String?.self).flatMap(InventoryDirection.init(rawValue:)),
                active: try c[11].decode(Bool.self), updatedAt: try c[12].decode(Date.self)))
        }
        return locations
    }
}
