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

    public init(pool: ConnectionPool) {
        self.pool = pool
        self.usage = PoolUsage()
    }

    /// A database on a new pool of `poolSize` connections to `url`; run `pool` before use.
    public init(url: DatabaseURL, poolSize: Int, deadlines: StatementDeadlines = StatementDeadlines(), logger: Logger) {
        self.init(pool: ConnectionPool(url: url, size: poolSize, deadlines: deadlines, logger: logger))
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
    ///
    /// The whole transaction has `deadline` (decisions D35): past it the connection is closed, the transaction rolls
    /// back, and this throws `StatementDeadlineExceeded`. A joined transaction keeps the outer one's deadline.
    @discardableResult
    public func withCompany<T: Sendable>(
        _ companyID: Int64, deadline: StatementDeadline = .standard, logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        if let open = Self.openTransaction, open.pool == ObjectIdentifier(usage) {
            guard open.companyID == companyID else { throw NestedTransactionOfAnotherCompany() }
            return try await body(open.connection)
        }
        return try await inNewTransaction(of: companyID, settingTenant: true, deadline: deadline, logger: logger, body)
    }

    /// Runs `body`, one statement that sets its own tenant (a function that calls `stockyard.enter_company(companyID)`
    /// before anything else), on a pooled connection in the statement's own implicit transaction: one round trip where
    /// `withCompany` takes three (decisions D26). Inside a `withCompany` of the same pool and company it joins that
    /// transaction instead, as `withCompany` does, so it commits or rolls back with it.
    ///
    /// An implicit transaction commits at the protocol's Sync, after the CommandComplete at which PostgresNIO hands
    /// back the rows (decisions D32), so use this only for a statement whose commit the caller need not wait for: one
    /// that commits asynchronously and cannot fail at commit (the push's steps), or the CALL of a procedure that
    /// commits before it replies (D33, D34). Anything else belongs in `withCompany`, which awaits its COMMIT.
    public func withSelfScopedStatement<T: Sendable>(_ companyID: Int64,
                                                     _ body: (PostgresConnection) async throws -> T) async throws -> T {
        if let open = Self.openTransaction, open.pool == ObjectIdentifier(usage) {
            guard open.companyID == companyID else { throw NestedTransactionOfAnotherCompany() }
            return try await body(open.connection)
        }
        return try await withConnection(body)
    }

    /// BEGIN, the tenant when asked, `body` (inside which a `withCompany` of this company joins), COMMIT; ROLLBACK
    /// on any error. BEGIN is written without waiting for its reply and the connection runs what follows in order,
    /// so it costs no suspension of its own. It fails only with the connection, and then so does all that was
    /// queued behind it; its reply is checked after the tenant's set_config, or else after the body.
    private func inNewTransaction<T: Sendable>(of companyID: Int64?, settingTenant: Bool, deadline: StatementDeadline,
                                               logger: Logger,
                                               _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection(deadline: deadline) { connection in
            let begin: EventLoopFuture<PostgresQueryResult> = connection.query("BEGIN", logger: logger)
            do {
                if let companyID, settingTenant {
                    try await connection.run(TenantScopeStatements.SetCompany(companyID: companyID), logger: logger)
                    _ = try await begin.get()
                }
                // Inside, a `withCompany` of this company joins this transaction; with no tenant, none joins (not
                // even an outer one of this task, which is on another connection).
                let open = companyID.map { OpenTransaction(pool: ObjectIdentifier(usage), companyID: $0, connection: connection) }
                let result = try await Self.$openTransaction.withValue(open) { try await body(connection) }
                _ = try await begin.get()
                try await commit(connection, logger: logger)
                return result
            } catch {
                // A closed connection (the server went away, or the pool ended the lease) answers nothing more:
                // PostgresNIO leaves a statement written to it waiting forever, so say nothing more to it.
                if connection.isClosed || ConnectionPool.isFatal(error) {
                    try? await connection.close()
                    throw error
                }
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

    /// Whether a `withCompany` or `withSelfScopedStatement` here would join a transaction this task holds open,
    /// rather than be its own transaction and commit when it returns.
    var joinsOpenTransaction: Bool { Self.openTransaction?.pool == ObjectIdentifier(usage) }

    /// COMMIT, refusing the case where Postgres answers ROLLBACK: a statement failed inside a body that caught
    /// the error, so nothing was written.
    private func commit(_ connection: PostgresConnection, logger: Logger) async throws {
        let result: PostgresQueryResult = try await connection.query("COMMIT", logger: logger).get()
        guard result.metadata.command == "COMMIT" else { throw TransactionRolledBack() }
    }

    /// A transaction with no tenant: only for the cross-tenant `SECURITY DEFINER` functions and the owner's writes.
    /// Returns once it has committed, also when `body` is a single statement (decisions D32).
    @discardableResult
    public func withTransaction<T: Sendable>(deadline: StatementDeadline = .standard, logger: Logger,
                                             _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await inNewTransaction(of: nil, settingTenant: false, deadline: deadline, logger: logger, body)
    }

    /// A pooled connection outside any transaction, counted in the pool metrics, for at most `deadline`.
    public func withConnection<T: Sendable>(deadline: StatementDeadline = .standard,
                                            _ body: (PostgresConnection) async throws -> T) async throws -> T {
        usage.waiting.add(1, ordering: .relaxed)
        var leased = false
        defer { if !leased { usage.waiting.subtract(1, ordering: .relaxed) } }
        return try await pool.withConnection(deadline: deadline) { connection in
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
                  leasesTotal: usage.leases.load(ordering: .relaxed), deadlineHitsTotal: pool.deadlineHitsTotal)
    }
}

public struct PoolStats: Sendable, Equatable {
    public let inUse: Int
    public let waiting: Int
    public let leasesTotal: Int
    /// Leases whose connection was closed at their deadline.
    public let deadlineHitsTotal: Int
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
