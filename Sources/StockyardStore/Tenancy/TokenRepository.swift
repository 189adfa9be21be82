import Foundation
import Logging
import PostgresNIO
import StockyardCore

/// What is known about a token, never the token itself.
public struct TokenInfo: Sendable, Codable, Equatable {
    public let id: Int64
    public let companyId: Int64
    public let shopId: Int64?
    public let name: String
    public let scopes: [Scope]
    public let createdAt: Date
    public let expiresAt: Date?
    public let revokedAt: Date?
}

/// A token at the only moment its value is known: right after it is issued.
/// Encodes as the token's info plus `token`, the secret shown this once.
public struct IssuedToken: Sendable, Encodable, Equatable {
    public let id: Int64
    public let token: String
    public let info: TokenInfo

    enum CodingKeys: String, CodingKey { case token }

    public func encode(to encoder: any Encoder) throws {
        try info.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
    }
}

/// API tokens: issue (hash stored), resolve (through the SECURITY DEFINER function), list, revoke.
public struct TokenRepository: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    public func issue(company: Int64, shop: Int64?, name: String, scopes: [Scope], expiresAt: Date?,
                      logger: Logger) async throws -> IssuedToken {
        guard !scopes.isEmpty else { throw AppError.invalid(field: "scopes", detail: "'scopes' must name at least one scope") }
        let name = try TextInput.validate(name, field: "name", maxLength: 200, allowEmpty: true)
        if let expiresAt, expiresAt <= Date() {
            throw AppError.invalid(field: "expires_at", detail: "'expires_at' must be in the future")
        }
        let token = APIToken.generate()
        let scopeNames = scopes.map(\.rawValue)
        do {
            let info = try await database.withCompany(company, logger: logger) { connection in
                let rows = try await connection.query("""
                    INSERT INTO stockyard.api_tokens (company_id, shop_id, name, token_hash, scopes, expires_at)
                    VALUES (\(company), \(shop), \(name), \(ByteBuffer(bytes: token.hash)), \(scopeNames), \(expiresAt))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.decode(rows).first!
            }
            return IssuedToken(id: info.id, token: token.value, info: info)
        } catch let error as PSQLError where error.sqlState == "23503" {
            throw AppError.invalid(field: "shop_id", detail: "shop \(shop.map(String.init) ?? "") does not exist in this company")
        }
    }

    /// The principal a bearer token stands for, or nil if it is unknown, revoked or expired.
    public func resolve(_ token: APIToken, logger: Logger) async throws -> Principal? {
        try await database.withConnection { connection in
            let rows = try await connection.query("""
                SELECT token_id, company_id, shop_id, scopes, expires_at
                FROM stockyard.resolve_api_token(\(ByteBuffer(bytes: token.hash)))
                """, logger: logger)
            for try await (tokenID, companyID, shopID, scopes, expiresAt) in rows.decode((Int64, Int64, Int64?, [String], Date?).self) {
                return Principal(tokenID: tokenID, companyID: companyID, shopID: shopID, scopes: scopes.compactMap(Scope.init),
                                 expiresAt: expiresAt)
            }
            return nil
        }
    }

    /// The company's tokens; with `shop`, only the tokens bound to that shop (what a shop-bound caller may see).
    public func list(company: Int64, shop: Int64?, page: PageRequest, logger: Logger) async throws -> Page<TokenInfo> {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.api_tokens
                WHERE company_id = \(company) AND (\(shop)::bigint IS NULL OR shop_id = \(shop))
                  AND id > \(page.afterID) ORDER BY id LIMIT \(page.limit + 1)
                """, logger: logger)
            return page.page(from: try await Self.decode(rows), id: \.id)
        }
    }

    public func get(id: Int64, company: Int64, shop: Int64? = nil, logger: Logger) async throws -> TokenInfo? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM stockyard.api_tokens
                WHERE company_id = \(company) AND id = \(id) AND (\(shop)::bigint IS NULL OR shop_id = \(shop))
                """, logger: logger)
            return try await Self.decode(rows).first
        }
    }

    /// Revokes the token; revoking a revoked token keeps its first revocation time. Nil when it does not exist
    /// (or, with `shop`, is not bound to that shop). Also returns the token's hash, so the caller's own cache
    /// can forget it before answering.
    public func revoke(id: Int64, company: Int64, shop: Int64? = nil, logger: Logger) async throws -> (info: TokenInfo, hash: String)? {
        try await database.withCompany(company, logger: logger) { connection in
            let rows = try await connection.query("""
                UPDATE stockyard.api_tokens SET revoked_at = coalesce(revoked_at, now())
                WHERE company_id = \(company) AND id = \(id) AND (\(shop)::bigint IS NULL OR shop_id = \(shop))
                RETURNING encode(token_hash, 'hex'), \(unescaped: Self.columns)
                """, logger: logger)
            for try await row in rows {
                let hash = try row.makeRandomAccess()[0].decode(String.self)
                return (try Self.tokenInfo(row, offset: 1), hash)
            }
            return nil
        }
    }

    static let columns = "id, company_id, shop_id, name, scopes, created_at, expires_at, revoked_at"

    static func decode(_ rows: PostgresRowSequence) async throws -> [TokenInfo] {
        var tokens: [TokenInfo] = []
        for try await row in rows { tokens.append(try tokenInfo(row)) }
        return tokens
    }

    /// A `columns` row, starting at cell `offset`.
    static func tokenInfo(_ row: PostgresRow, offset: Int = 0) throws -> TokenInfo {
        let cells = Array(row.makeRandomAccess())
        func cell<T: PostgresDecodable>(_ index: Int, _: T.Type) throws -> T { try cells[offset + index].decode(T.self) }
        return TokenInfo(id: try cell(0, Int64.self), companyId: try cell(1, Int64.self), shopId: try cell(2, Int64?.self),
                         name: try cell(3, String.self), scopes: try cell(4, [String].self).compactMap(Scope.init),
                         createdAt: try cell(5, Date.self), expiresAt: try cell(6, Date?.self), revokedAt: try cell(7, Date?.self))
    }
}
