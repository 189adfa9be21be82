import Foundation
import Logging
import PostgresNIO
import StockyardStore
import Synchronization

/// The notifications on the job channel, with the backend that sent each.
final class NotificationLog: Sendable {
    private let heard = Mutex<[(pid: Int32, payload: String)]>([])

    /// LISTENs on `connection` (a dedicated one) and logs what arrives from then on.
    static func listening(on connection: PostgresConnection) async throws -> NotificationLog {
        let log = NotificationLog()
        connection.addListener(channel: "stockyard_jobs") { _, notification in
            log.heard.withLock { $0.append((notification.backendPID, notification.payload)) }
        }
        _ = try await connection.query("LISTEN stockyard_jobs", logger: Logger(label: "test")).collect()
        return log
    }

    /// How many wakes of `kind` backend `pid` sent.
    func wakes(of kind: String, from pid: Int32) -> Int {
        heard.withLock { $0.count { $0.pid == pid && $0.payload == kind } }
    }

    /// Returns once everything `connection` (backend `pid`, outside a transaction) committed before has been heard:
    /// it sends a marker, and one backend's notifications arrive in the order it committed them.
    func catchUp(with connection: PostgresConnection, backend pid: Int32) async throws {
        let marker = "marker \(UUID().uuidString)"
        _ = try await connection.query("SELECT pg_notify('stockyard_jobs', \(marker))", logger: Logger(label: "test")).collect()
        try await waitUntil { self.heard.withLock { $0.contains { $0.pid == pid && $0.payload == marker } } }
    }

    /// `catchUp` through a pool of one connection, backend `pid`.
    func catchUp(with database: Database, backend pid: Int32) async throws {
        try await database.withConnection { try await catchUp(with: $0, backend: pid) }
    }
}

extension NotificationLog {
    /// A pool of one app connection whose backend is known, so that what it NOTIFYs is told apart, and the log of
    /// the job channel, listened to on a connection of its own.
    static func withPoolOfOne(_ environment: TestEnvironment,
                              _ body: (_ database: Database, _ backend: Int32, _ heard: NotificationLog) async throws -> Void) async throws {
        let logger = environment.logger
        try await Database.withPool(url: environment.appURL, poolSize: 1, logger: logger) { database in
            let backend = try await database.withConnection { connection in
                try await connection.query("SELECT pg_backend_pid()", logger: logger).collect().first!.decode(Int32.self)
            }
            try await DedicatedConnection.with(environment.appURL, logger: logger) { listener in
                try await body(database, backend, try await NotificationLog.listening(on: listener))
            }
        }
    }
}
