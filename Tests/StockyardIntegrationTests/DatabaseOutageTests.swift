import Logging
import PostgresNIO
@testable import StockyardAPI
import StockyardStore
import Testing

/// One rule says what "the database is away" is (`DatabaseOutage`): the API answers it with 503 (never 500) and
/// the job runner gives the attempt back. Checked here against errors the real server gives.
@Suite(.timeLimit(.minutes(1))) struct DatabaseOutageTests {
    @Test func aStatementWhoseSessionIsTerminatedIsAnOutageAnd503() async throws {
        let environment = try await TestEnvironment.get()
        try await Database.withPool(url: environment.appURL, poolSize: 1, logger: environment.logger) { database in
            let pid = try await database.withConnection {
                try await $0.query("SELECT pg_backend_pid()", logger: environment.logger).collect().first!.decode(Int32.self)
            }
            async let sleeping: Void = database.withConnection { connection in
                _ = try await connection.query("SELECT pg_sleep(30)", logger: environment.logger).collect()
            }
            try await Task.sleep(for: .milliseconds(500))   // the sleep has started (another role's wait_event is hidden)
            _ = try await environment.owner.collect("SELECT pg_terminate_backend(\(pid))")
            do {
                try await sleeping
                Issue.record("the terminated statement succeeded")
            } catch {
                #expect(DatabaseOutage.covers(error), "\(String(reflecting: error))")
                #expect(Problem.from(error).1 == .serviceUnavailable)
            }
        }
    }

    @Test func aDeadlineIsAnOutageAndAConstraintViolationIsNot() async throws {
        let environment = try await TestEnvironment.get()
        #expect(DatabaseOutage.covers(StatementDeadlineExceeded(deadline: .seconds(10))))
        #expect(Problem.from(StatementDeadlineExceeded(deadline: .seconds(10))).1 == .serviceUnavailable)
        do {
            _ = try await environment.owner.collect("SELECT 1/0")
            Issue.record("1/0 succeeded")
        } catch {
            #expect(!DatabaseOutage.covers(error), "a statement's own error is not an outage")
            #expect(Problem.from(error).1 != .serviceUnavailable)
        }
    }
}
