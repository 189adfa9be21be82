import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// A tenant.
public struct Company: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    public let createdAt: Date
}

/// Companies. Creating one is an operator's act (`stockyard company create`, as the owner);
/// reading one is scoped like every other tenant read.
public struct CompanyRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Creates a company, with what its triggers create beside it, and returns once that has committed (decisions
    /// D32). Needs the owner's pool: the app role may not insert companies.
    public func create(name: String, logger: Logger) async throws -> Company {
        let name = try TextInput.validate(name, field: "name", maxLength: 200)
        return try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "INSERT INTO stockyard.companies (name) VALUES (\(name)) RETURNING id, name, created_at", logger: logger)
            for try await (id, name, createdAt) in rows.decode((Int64, String, Date).self) {
                return Company(id: id, name: name, createdAt: createdAt)
            }
            throw AppError.conflict("company was not created")
        }
    }

    /// The company, read inside its own scope. Prepared: every `GET /v1/me` runs it.
    public func get(_ companyID: Int64, logger: Logger) async throws -> Company? {
        try await database.withCompany(companyID, logger: logger) { connection in
            var company: Company?
            for try await row in try await connection.execute(CompanyByID(id: companyID), logger: logger) { company = row }
            return company
        }
    }

    struct CompanyByID: PostgresPreparedStatement {
        static let sql = "SELECT id, name, created_at FROM stockyard.companies WHERE id = $1"
        typealias Row = Company
        let id: Int64
        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(id)
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws -> Company {
            let (id, name, createdAt) = try row.decode((Int64, String, Date).self)
            return Company(id: id, name: name, createdAt: createdAt)
        }
    }

    /// The first company with this name (oldest first): how `stockyard demo` stays idempotent. Owner only.
    public func find(named name: String, logger: Logger) async throws -> Company? {
        try await database.withConnection { connection in
            let rows = try await connection.query(
                "SELECT id, name, created_at FROM stockyard.companies WHERE name = \(name) ORDER BY id LIMIT 1", logger: logger)
            for try await (id, name, createdAt) in rows.decode((Int64, String, Date).self) {
                return Company(id: id, name: name, createdAt: createdAt)
            }
            return nil
        }
    }

    /// Every company, for operators. Owner only.
    public func list(logger: Logger) async throws -> [Company] {
        try await database.withConnection { connection in
            var companies: [Company] = []
            let rows = try await connection.query("SELECT id, name, created_at FROM stockyard.companies ORDER BY id", logger: logger)
            for try await (id, name, createdAt) in rows.decode((Int64, String, Date).self) {
                companies.append(Company(id: id, name: name, createdAt: createdAt))
            }
            return companies
        }
    }
}
