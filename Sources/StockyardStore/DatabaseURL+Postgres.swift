import PostgresNIO
import StockyardCore

/// PostgresNIO's configurations for a URL. A host that is a directory means the Unix socket in it, as with libpq.
extension DatabaseURL {
    var usesUnixSocket: Bool { host.hasPrefix("/") }

    /// Postgres's socket file in the directory `host`, as libpq names it.
    var unixSocketPath: String { "\(host)/.s.PGSQL.\(port)" }

    var clientConfiguration: PostgresClient.Configuration {
        usesUnixSocket
            ? .init(unixSocketPath: unixSocketPath, username: username, password: password, database: database)
            : .init(host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }

    var connectionConfiguration: PostgresConnection.Configuration {
        usesUnixSocket
            ? .init(unixSocketPath: unixSocketPath, username: username, password: password, database: database)
            : .init(host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }
}
