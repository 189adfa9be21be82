import Logging
import PostgresNIO
import StockyardCore
import Synchronization

/// The Postgres pool and the one place that sets the tenant of a transaction.
public struct Database: Sendable {
    /// The connections; run it (as a service, or `run()`) before use.
    public let pool: ConnectionPool
    public var poolSize: Int { pool.size }
    let usage: PoolUsage
    let jobWakes: JobWakes

    public init(pool: ConnectionPool) {
        self.pool = pool
        self.usage = PoolUsage()
        self.jobWakes = JobWakes()
    }

    /// A database on a new pool of `poolSize` connections to `url`; run `pool` before use.
    public init(url: DatabaseURL, poolSize: Int, logger: Logger) {
        self.init(pool: ConnectionPool(url: url, size: poolSize, logger: logger))
    }

    /// The transaction this task is inside, so that a nested `withCompany` joins it (see `withCompany`).
    @TaskLocal static var openTransaction: OpenTransaction?

    struct OpenTransaction: Sendable {
        let pool: ObjectIdentifier
        let companyID: Int64
        let connection: PostgresConnection
    }

    /// Runs `body` in one transaction whose row-level-security tenant is `companyID`.
    /// `set_config(…, true)` is transaction-local, so the tenant can never leak to the next user of the connection.
    ///
    /// Called inside another `withCompany` of the same pool and company (in the same task), it joins that
    /// transaction instead of opening a second one: an outer step (an idempotency key, a job being marked done)
    /// commits or rolls back together with the repository calls it wraps (decisions D11).
    @discardableResult
    public func withCompany<T: Sendable>(
        _ companyID: Int64, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        if let open = Self.openTransaction, open.pool == ObjectIdentifier(usage) {
            guard open.companyID == companyID else { throw NestedTransactionOfAnotherCompany() }
            return try await body(open.connection)
        }
        return try await withConnection { connection in
            // BEGIN is written without waiting for its reply, so BEGIN and set_config cost one suspension, not two;
            // the connection runs them in order. If BEGIN failed, set_config ran alone (a no-op) and we throw below.
            let begin: EventLoopFuture<PostgresQueryResult> = connection.query("BEGIN", logger: logger)
            do {
                try await connection.run(TenantScopeStatements.SetCompany(companyID: companyID), logger: logger)
                _ = try await begin.get()
                let open = OpenTransaction(pool: ObjectIdentifier(usage), companyID: companyID, connection: connection)
                let result = try await Self.$openTransaction.withValue(open) { try await body(connection) }
                try await commit(connection, logger: logger)
                return result
            } catch {
                _ = try? await begin.get()
                do {
                    try await connection.query("ROLLBACK", logger: logger)
                } catch {
                    // Never hand the pool a connection that may still be inside this transaction.
                    try? await connection.close()
                }
                throw error
            }
        }
    }

    /// Runs `body`, one statement that sets its own tenant (a function that calls `stockyard.enter_company(companyID)`
    /// before anything else), as its own transaction on a pooled connection: one round trip where `withCompany` takes
    /// three (decisions D26). Inside a `withCompany` of the same pool and company it joins that transaction instead,
    /// as `withCompany` does, so it commits or rolls back with it.
    public func withSelfScopedStatement<T: Sendable>(_ companyID: Int64, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let open = Self.openTransaction, open.pool == ObjectIdentifier(usage) {
            guard open.companyID == companyID else { throw NestedTransactionOfAnotherCompany() }
            return try await body(open.connection)
        }
        return try await withConnection(body)
    }

    /// Whether a `withCompany` or `withSelfScopedStatement` here would join a transaction this task holds open,
    /// rather than be its own transaction and commit when it returns.
    var joinsOpenTransaction: Bool { Self.openTransaction?.pool == ObjectIdentifier(usage) }

    /// Wakes the runners of job `kind` soon, after a commit that left its NOTIFY out (migration 0025). Returns at
    /// once: the wake is sent in the background, coalesced with others (`JobWakes`).
    func wakeJobRunners(_ kind: String, logger: Logger) {
        jobWakes.wake(kind, database: self, logger: logger)
    }

    /// COMMIT, refusing the case where Postgres answers ROLLBACK: a statement failed inside a body that caught
    /// the error, so nothing was written.
    private func commit(_ connection: PostgresConnection, logger: Logger) async throws {
        let result: PostgresQueryResult = try await connection.query("COMMIT", logger: logger).get()
        guard result.metadata.command == "COMMIT" else { throw TransactionRolledBack() }
    }

    /// A transaction with no tenant: only for the cross-tenant `SECURITY DEFINER` functions.
    @discardableResult
    public func withTransaction<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            do {
                return try await connection.withTransaction(logger: logger) { try await body($0) }
            } catch let error as PostgresTransactionError {
                throw error.closureError ?? error   // withTransaction wraps what the body threw
            }
        }
    }

    /// A pooled connection outside any transaction, counted in the pool metrics.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        usage.waiting.add(1, ordering: .relaxed)
        var leased = false
        defer { if !leased { usage.waiting.subtract(1, ordering: .relaxed) } }
        return try await pool.withConnection { connection in
            usage.waiting.subtract(1, ordering: .relaxed)
            leased = true
            usage.inUse.add(1, ordering: .relaxed)
            usage.leases.add(1, ordering: .relaxed)
            defer { usage.inUse.subtract(1, ordering: .relaxed) }
            return try await body(connection)
        }
    }

    /// Connections leased now, requests waiting for one, and leases since start: exported at `/metrics`.
    public var poolStats: PoolStats {
        PoolStats(inUse: usage.inUse.load(ordering: .relaxed), waiting: usage.waiting.load(ordering: .relaxed),
                  leasesTotal: usage.leases.load(ordering: .relaxed))
    }
}

public struct PoolStats: Sendable, Equatable {
    public let inUse: Int
    public let waiting: Int
    public let leasesTotal: Int
}

final class PoolUsage: Sendable {
    let inUse = Atomic<Int>(0)
    let waiting = Atomic<Int>(0)
    let leases = Atomic<Int>(0)
}

/// A `withCompany` for one company inside a transaction of another: a programming error, refused.
public struct NestedTransactionOfAnotherCompany: Error {}

/// The body of `withCompany` returned normally, but a statement inside it had failed, so Postgres rolled back.
public struct TransactionRolledBack: Error {}

extension PostgresConnection {
    /// Runs a statement whose rows, if any, are not needed.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws {
        for try await _ in try await execute(statement, logger: logger) {}
    }
}

extension PSQLError {
    /// The SQLSTATE the server sent (23505 unique, 23503 foreign key, 42501 RLS, 40001 serialization…).
    public var sqlState: String? { serverInfo?[.sqlState] }
    /// The server's message, for errors that should say what Postgres said.
    public var serverMessage: String? { serverInfo?[.message] }
}
