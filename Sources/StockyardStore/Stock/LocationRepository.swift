import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Locations: create, read, list, update. complete_name and parent_path are kept by the database's triggers.
public struct LocationRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func create(_ draft: LocationDraft, company: Int64, logger: Logger) async throws -> Location {
        let name = try Self.validName(draft.name)
        let barcode = try draft.barcode.map { try TextInput.validate($0, field: "barcode", maxLength: 200) }
        return try await Self.mappingErrors(barcode: barcode) {
            try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    INSERT INTO stockyard.stock_locations (company_id, name, location_id, usage, barcode, active)
                    VALUES (\(company), \(name), \(draft.locationId), \(draft.usage.rawValue), \(barcode), \(draft.active))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.decode(rows)[0]
            }
        }
    }

    public func get(id: Int64, company: Int64, logger: Logger) async throws -> Location? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM stockyard.stock_locations WHERE company_id = \(company) AND id = \(id)",
                logger: logger)
            return try await Self.decode(rows).first
        }
    }

    public func list(company: Int64, filter: LocationFilter, page: PageRequest, logger: Logger) async throws -> Page<Location> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.stock_locations l
                WHERE l.company_id = \(company) AND l.id > \(page.afterID)
                  AND (\(filter.usage?.rawValue)::text IS NULL OR l.usage = \(filter.usage?.rawValue))
                  AND (\(filter.active)::boolean IS NULL OR l.active = \(filter.active))
                  AND (\(filter.barcode)::text IS NULL OR l.barcode = \(filter.barcode))
                  AND (\(filter.childOf)::bigint IS NULL OR l.parent_path LIKE (
                        SELECT p.parent_path || '%' FROM stockyard.stock_locations p
                        WHERE p.company_id = \(company) AND p.id = \(filter.childOf)))
                ORDER BY l.id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decode(rows), id: \.id)
        }
    }

    /// Applies `changes`; nil when the location does not exist. The row is locked while it changes.
    public func update(id: Int64, changes: LocationChanges, company: Int64, logger: Logger) async throws -> Location? {
        let name: String? = if case .value(let name) = changes.name { try Self.validName(name) } else { nil }
        if changes.name == .null { throw AppError.invalid(field: "name", detail: "'name' must not be null") }
        if changes.usage == .null { throw AppError.invalid(field: "usage", detail: "'usage' must not be null") }
        if changes.active == .null { throw AppError.invalid(field: "active", detail: "'active' must not be null") }
        let barcode: String? = try {
            if case .value(let barcode) = changes.barcode { return try TextInput.validate(barcode, field: "barcode", maxLength: 200) }
            return nil
        }()
        return try await Self.mappingErrors(barcode: barcode) {
            try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    UPDATE stockyard.stock_locations SET
                        name = CASE WHEN \(!changes.name.isAbsent) THEN \(name) ELSE name END,
                        location_id = CASE WHEN \(!changes.locationId.isAbsent) THEN \(changes.locationId.applied(to: nil))::bigint
                                           ELSE location_id END,
                        usage = CASE WHEN \(!changes.usage.isAbsent) THEN \(changes.usage.applied(to: nil)?.rawValue) ELSE usage END,
                        barcode = CASE WHEN \(!changes.barcode.isAbsent) THEN \(barcode) ELSE barcode END,
                        active = CASE WHEN \(!changes.active.isAbsent) THEN \(changes.active.applied(to: nil))::boolean ELSE active END,
                        write_date = now()
                    WHERE company_id = \(company) AND id = \(id)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.decode(rows).first
            }
        }
    }

    static let columns = "id, name, complete_name, location_id, parent_path, usage, barcode, active, create_date, write_date"

    static func decode(_ rows: PostgresRowSequence) async throws -> [Location] {
        var locations: [Location] = []
        for try await (id, name, completeName, parent, parentPath, usage, barcode, active, created, written)
            in rows.decode((Int64, String, String, Int64?, String, String, String?, Bool, Date, Date).self) {
            locations.append(Location(id: id, name: name, completeName: completeName, locationId: parent, parentPath: parentPath,
                                      usage: LocationUsage(rawValue: usage) ?? .internal, barcode: barcode, active: active,
                                      createDate: created, writeDate: written))
        }
        return locations
    }

    static func validName(_ name: String) throws(AppError) -> String {
        let name = try TextInput.validate(name, field: "name", maxLength: 200)
        guard !name.contains("/") else {
            throw .invalid(field: "name", detail: "'name' must not contain '/', which separates levels of complete_name")
        }
        return name
    }

    /// Turns the constraint failures a client can cause into problems that name the field.
    static func mappingErrors<T>(barcode: String?, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AppError.conflict("a location with barcode '\(barcode ?? "")' already exists")
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw AppError.invalid(field: "location_id", detail: "the parent location does not exist")
        } catch let error as PSQLError where error.sqlState == "SY002" {
            throw AppError.invalid(field: "usage", detail: "the location holds stock, so it cannot become a view")
        } catch let error as PSQLError where error.sqlState == "SY001" {
            throw AppError.invalid(field: "location_id", detail: "a location cannot be moved under itself or its own descendants")
        } catch let error as PSQLError where error.sqlState == "23514" && error.serverMessage?.contains("location_id") == true {
            throw AppError.invalid(field: "location_id", detail: "a location cannot be its own parent")
        }
    }
}
