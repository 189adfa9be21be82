import Logging
import PostgresNIO

/// A statement Postgres parses and plans once per connection (PostgresNIO's named prepared statements), for the
/// statements the sync engine runs for every change; anything sent as a plain query is planned on every call.
/// A conforming type is its SQL (`$1`, `$2`… in the order of `values`) and nothing else: rows come back as they
/// are, for the repository's own decoder. Write a cast beside a placeholder that may be bound to nil, since the
/// statement's parameter types are taken from its first execution and a NULL carries none.
protocol CachedStatement: PostgresPreparedStatement where Row == PostgresRow {
    var values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?] { get }
}

extension CachedStatement {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            if let value { try bindings.append(value) } else { bindings.appendNull() }
        }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension PostgresConnection {
    /// The first row `statement` returns, or nil when it returns none.
    func firstRow<Statement: CachedStatement>(_ statement: Statement, logger: Logger) async throws -> PostgresRow? {
        for try await row in try await execute(statement, logger: logger) { return row }
        return nil
    }
}
