import Logging
import PostgresNIO
import StockyardCore

extension Database {
    /// A pool for `url` that runs only for the duration of `body`: for commands and tests, where no
    /// `ServiceGroup` runs the pool.
    public static func withPool<T: Sendable>(
        url: DatabaseURL, poolSize: Int, deadlines: StatementDeadlines = StatementDeadlines(), logger: Logger,
        _ body: (Database) async throws -> T
    ) async throws -> T {
        let database = Database(url: url, poolSize: poolSize, deadlines: deadlines, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await database.pool.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }
}
