import Logging
import PostgresNIO
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
}
