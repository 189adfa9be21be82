import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// Products and their categories. SKU and barcode are unique per company when set.
public struct ProductRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func create(_ fields: ProductFields, company: Int64, logger: Logger) async throws -> Product {
        guard case .value(let rawName) = fields.name else { throw AppError.invalid(field: "name", detail: "'name' is required") }
        let values = try Validated(fields, name: rawName)
        return try await Self.mappingErrors(values) {
            try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    INSERT INTO stockyard.products (company_id, name, default_code, barcode, categ_id, type, active)
                    VALUES (\(company), \(values.name), \(values.defaultCode), \(values.barcode), \(fields.categId.applied(to: nil)),
                            \((fields.type.applied(to: nil) ?? .product).rawValue), \(fields.active.applied(to: nil) ?? true))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.decode(rows)[0]
            }
        }
    }

    public func get(id: Int64, company: Int64, logger: Logger) async throws -> Product? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM stockyard.products WHERE company_id = \(company) AND id = \(id)", logger: logger)
            return try await Self.decode(rows).first
        }
    }

    public func list(company: Int64, filter: ProductFilter, page: PageRequest, logger: Logger) async throws -> Page<Product> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.products
                WHERE company_id = \(company) AND id > \(page.afterID)
                  AND (\(filter.defaultCode)::text IS NULL OR default_code = \(filter.defaultCode))
                  AND (\(filter.barcode)::text IS NULL OR barcode = \(filter.barcode))
                  AND (\(filter.categId)::bigint IS NULL OR categ_id = \(filter.categId))
                  AND (\(filter.active)::boolean IS NULL OR active = \(filter.active))
                ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decode(rows), id: \.id)
        }
    }

    /// Applies `fields`; nil when the product does not exist.
    public func update(id: Int64, fields: ProductFields, company: Int64, logger: Logger) async throws -> Product? {
        for (patchIsNull, field) in [(fields.name == .null, "name"), (fields.type == .null, "type"), (fields.active == .null, "active")]
        where patchIsNull {
            throw AppError.invalid(field: field, detail: "'\(field)' must not be null")
        }
        let name: String? = if case .value(let name) = fields.name { name } else { nil }
        let values = try Validated(fields, name: name)
        return try await Self.mappingErrors(values) {
            try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    UPDATE stockyard.products SET
                        name = CASE WHEN \(!fields.name.isAbsent) THEN \(values.name) ELSE name END,
                        default_code = CASE WHEN \(!fields.defaultCode.isAbsent) THEN \(values.defaultCode) ELSE default_code END,
                        barcode = CASE WHEN \(!fields.barcode.isAbsent) THEN \(values.barcode) ELSE barcode END,
                        categ_id = CASE WHEN \(!fields.categId.isAbsent) THEN \(fields.categId.applied(to: nil))::bigint ELSE categ_id END,
                        type = CASE WHEN \(!fields.type.isAbsent) THEN \(fields.type.applied(to: nil)?.rawValue) ELSE type END,
                        active = CASE WHEN \(!fields.active.isAbsent) THEN \(fields.active.applied(to: nil))::boolean ELSE active END,
                        write_date = now()
                    WHERE company_id = \(company) AND id = \(id)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.decode(rows).first
            }
        }
    }

    public func createCategory(name: String, company: Int64, logger: Logger) async throws -> ProductCategory {
        let name = try TextInput.validate(name, field: "name", maxLength: 200)
        do {
            return try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    INSERT INTO stockyard.product_categories (company_id, name) VALUES (\(company), \(name))
                    RETURNING id, name, create_date
                    """, logger: logger)
                return try await Self.decodeCategories(rows)[0]
            }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AppError.conflict("a product category named '\(name)' already exists")
        }
    }

    public func listCategories(company: Int64, page: PageRequest, logger: Logger) async throws -> Page<ProductCategory> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT id, name, create_date FROM stockyard.product_categories
                WHERE company_id = \(company) AND id > \(page.afterID) ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decodeCategories(rows), id: \.id)
        }
    }

    /// The text fields, checked as Postgres will store them.
    struct Validated {
        let name: String?
        let defaultCode: String?
        let barcode: String?

        init(_ fields: ProductFields, name: String?) throws {
            self.name = try name.map { try TextInput.validate($0, field: "name", maxLength: 500) }
            self.defaultCode = try fields.defaultCode.applied(to: nil).map { try TextInput.validate($0, field: "default_code", maxLength: 200) }
            self.barcode = try fields.barcode.applied(to: nil).map { try TextInput.validate($0, field: "barcode", maxLength: 200) }
        }
    }

    static func mappingErrors<T>(_ values: Validated, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.sqlState == "23505" {
            let constraint = error.serverInfo?[.constraintName] ?? ""
            if constraint.contains("barcode") { throw AppError.conflict("a product with barcode '\(values.barcode ?? "")' already exists") }
            throw AppError.conflict("a product with default_code '\(values.defaultCode ?? "")' already exists")
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw AppError.invalid(field: "categ_id", detail: "the product category does not exist")
        }
    }

    static let columns = "id, name, default_code, barcode, categ_id, type, active, create_date, write_date"

    static func decode(_ rows: PostgresRowSequence) async throws -> [Product] {
        var products: [Product] = []
        for try await (id, name, code, barcode, category, type, active, created, written)
            in rows.decode((Int64, String, String?, String?, Int64?, String, Bool, Date, Date).self) {
            products.append(Product(id: id, name: name, defaultCode: code, barcode: barcode, categId: category,
                                    type: ProductType(rawValue: type) ?? .product, active: active, createDate: created, writeDate: written))
        }
        return products
    }

    static func decodeCategories(_ rows: PostgresRowSequence) async throws -> [ProductCategory] {
        var categories: [ProductCategory] = []
        for try await (id, name, created) in rows.decode((Int64, String, Date).self) {
            categories.append(ProductCategory(id: id, name: name, createDate: created))
        }
        return categories
    }
}
