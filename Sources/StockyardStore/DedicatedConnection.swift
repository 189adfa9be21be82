import Logging
import NIOPosix
import PostgresNIO
import StockyardCore

/// A connection outside the pool, for a LISTEN that lasts as long as the process: leasing a pooled
/// connection for it would take one away from requests for good.
public enum DedicatedConnection {
    /// Opens a connection to `url`; close it when done.
    public static func connect(to url: DatabaseURL, logger: Logger) async throws -> PostgresConnection {
        let configuration = url.host.hasPrefix("/")
            ? PostgresConnection.Configuration(unixSocketPath: url.unixSocketPath, username: url.username,
                                               password: url.password, database: url.database)
            : PostgresConnection.Configuration(host: url.host, port: url.port, username: url.username,
                                               password: url.password, database: url.database, tls: .disable)
        return try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
            id: Int.random(in: 1...Int.max), logger: logger)
    }

    /// Runs `body` with a fresh connection and closes it afterwards, whatever happens.
    public static func with<T: Sendable>(_ url: DatabaseURL, logger: Logger,
                                         _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(to: url, logger: logger)
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

extension DatabaseURL {
    /// Postgres's socket file in the directory `host`, as libpq names it.
    var unixSocketPath: String { "\(host)/.s.PGSQL.\(port)" }
}
