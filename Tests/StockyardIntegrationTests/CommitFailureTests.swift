import PostgresNIO
import StockyardStore
import Testing

/// `Database`'s transactions (decisions D32): an implicit transaction commits at the protocol's Sync, after
/// PostgresNIO has already handed back the statement's rows, so `withCompany` and `withTransaction` await an explicit
/// COMMIT instead.
@Suite struct CommitFailureTests {
    /// A deferred unique constraint fails at commit, after the statement itself completed: the caller sees that
    /// failure, not a success for a transaction that was rolled back, and the connection is left outside any transaction.
    @Test func aFailureAtCommitReachesTheCaller() async throws {
        let environment = try await TestEnvironment.get()
        let company = try await environment.makeCompany()
        try await Database.withPool(url: environment.appURL, poolSize: 1, logger: environment.logger) { database in
            let error = await #expect(throws: PSQLError.self) {
                try await database.withCompany(company.id, logger: environment.logger) { connection in
                    _ = try await connection.query("""
                        DO $$ BEGIN
                            CREATE TEMP TABLE fails_at_commit (x int UNIQUE DEFERRABLE INITIALLY DEFERRED);
                            INSERT INTO fails_at_commit VALUES (1), (1);
                        END $$
                        """, logger: environment.logger).collect()
                }
            }
            #expect(error?.sqlState == "23505", "the commit's unique violation")
            let outside = try await database.withConnection { connection in
                try await connection.query("SELECT pg_current_xact_id_if_assigned() IS NULL AND to_regclass('pg_temp.fails_at_commit') IS NULL",
                                           logger: environment.logger).collect().first!.decode(Bool.self)
            }
            #expect(outside, "the pool's one connection is outside any transaction, and the table was rolled back")
        }
    }
}
