import Logging
import NIOPosix
import PostgresNIO
import StockyardCore

/// A connection outside the pool, for a LISTEN that lasts as long as the process: leasing a pooled
/// connection for it would take one away from requests for good.
public enum DedicatedConnection {
    /// Opens a connection to `url`, named `applicationName` in `pg_stat_activity`; close it when done.
    public static func connect(to url: DatabaseURL, applicationName: String? = nil, logger: Logger) async throws -> PostgresConnection {
        var configuration = url.connectionConfiguration
        if let applicationName { configuration.options.additionalStartupParameters.append(("application_name", applicationName)) }
        return try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
            id: Int.random(in: 1...Int.max), logger: logger)
    }

    /// Runs `body` with a fresh connection and closes it afterwards, whatever happens.
    public static func with<T: Sendable>(_ url: DatabaseURL, applicationName: String? = nil, logger: Logger,
                                         _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(to: url, applicationName: applicationName, logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
