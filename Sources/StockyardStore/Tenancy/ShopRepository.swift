import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// A storefront a company sells through. The storefronts issue grows it (API URL, secrets, direction).
public struct Shop: Sendable, Codable, Equatable {
    public let id: Int64
    public let name: String
    public let domain: String
    public let createdAt: Date
}

public struct ShopRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func create(name: String, domain: String, company: Int64, logger: Logger) async throws -> Shop {
        let domain = domain.lowercased()
        guard domain.range(of: #"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"#, options: .regularExpression) != nil else {
            throw AppError.invalid(field: "domain", detail: "'domain' must be a host name such as acme.myshopify.com")
        }
        let name = try TextInput.validate(name, field: "name", maxLength: 200)
        do {
            return try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    INSERT INTO stockyard.shops (company_id, name, domain) VALUES (\(company), \(name), \(domain))
                    RETURNING id, name, domain, created_at
                    """, logger: logger)
                for try await (id, name, domain, createdAt) in rows.decode((Int64, String, String, Date).self) {
                    return Shop(id: id, name: name, domain: domain, createdAt: createdAt)
                }
                throw AppError.conflict("shop was not created")
            }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AppError.conflict("a shop with domain '\(domain)' already exists")
        }
    }
}
