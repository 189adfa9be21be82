import PostgresNIO
import StockyardStore
import Testing

/// `Database.withSelfScopedStatement` (decisions D26, D32): a statement that is its own transaction commits at the
/// protocol's Sync, after PostgresNIO has already ended its rows, so the call waits for that commit.
@Suite struct SelfScopedStatementTests {
    /// A deferred unique constraint fails at commit, after the statement itself completed: the caller must see the
    /// failure, not a success for a transaction that was rolled back. The pool goes on working afterwards.
    @Test func aFailureAtCommitReachesTheCaller() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        await #expect(throws: (any Error).self) {
            try await environment.app.withSelfScopedStatement(company.id, logger: environment.logger) { connection in
                _ = try await connection.query("""
                    DO $$ BEGIN
                        CREATE TEMP TABLE fails_at_commit (x int UNIQUE DEFERRABLE INITIALLY DEFERRED);
                        INSERT INTO fails_at_commit VALUES (1), (1);
                    END $$
                    """, logger: environment.logger).collect()
            }
        }
        let after = try await environment.app.withSelfScopedStatement(company.id, logger: environment.logger) { connection in
            try await connection.query("SELECT to_regclass('pg_temp.fails_at_commit') IS NULL", logger: environment.logger)
                .collect().first!.decode(Bool.self)
        }
        #expect(after, "the statement's transaction was rolled back")
    }
}
