import Logging
import PostgresNIO
import StockyardCore

/// A LISTEN that lasts as long as its task, on a connection of its own (leasing a pooled one would take it from
/// requests for good). It reconnects after any loss, with a backoff of 100 ms doubling to at most 1 s, and pings
/// its connection every `pingInterval`: a ping left unanswered for `deadline` closes the connection, since a link
/// that died silently would otherwise look like a quiet channel forever (decisions D35). Cancelling the task closes
/// the connection's LISTEN and returns at once.
public struct NotificationListener: Sendable {
    public let url: DatabaseURL
    public let channel: String
    public let applicationName: String?
    public let deadline: Duration
    public let logger: Logger

    public init(url: DatabaseURL, channel: String, applicationName: String? = nil, deadline: Duration = .seconds(10),
                logger: Logger) {
        self.url = url
        self.channel = channel
        self.applicationName = applicationName
        self.deadline = deadline
        self.logger = logger
    }

    var pingInterval: Duration { deadline / 2 }

    /// Listens until cancelled. `listening(true)` once each LISTEN is in place (a reconnect may have missed
    /// notifications: sweep then), `listening(false)` when it is lost, with the error and how many losses in a row.
    public func run(listening: @Sendable (Bool) -> Void,
                    lost: @Sendable (_ error: any Error, _ failures: Int) -> Void,
                    notification: @Sendable (PostgresNotification) -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await DedicatedConnection.with(url, applicationName: applicationName, logger: logger) { connection in
                    // No close on cancellation: the notification sequence ends by itself when the task is cancelled,
                    // and closing under PostgresNIO's LISTEN setup was seen to leave it waiting forever.
                    try await connection.listen(on: channel) { notifications in
                        listening(true)
                        failures = 0
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask { await self.keepAlive(connection) }
                            defer { group.cancelAll() }
                            for try await received in notifications { notification(received) }
                        }
                    }
                }
            } catch where Task.isCancelled {
                break
            } catch {
                failures += 1
                lost(error, failures)
            }
            listening(false)
            try? await Task.sleep(for: .milliseconds(min(1_000, 100 << min(failures, 4))))
        }
        listening(false)
    }

    /// Pings until cancelled; closes the connection when a ping fails or is not answered within the deadline, which
    /// ends the notification sequence with an error. The listener does not wait on the ping itself (`awaitAtMost`): a
    /// statement written to a connection as it closes is never answered (PostgresNIO, decisions D35).
    private func keepAlive(_ connection: PostgresConnection) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: pingInterval) } catch { return }
            if connection.isClosed { return }
            let answered = (try? await awaitAtMost(deadline) {
                _ = try await connection.query("SELECT 1", logger: logger).collect()
            }) != nil
            if Task.isCancelled { return }
            if !answered {
                logger.warning("a LISTEN connection did not answer its ping; closing it", metadata: ["channel": "\(channel)"])
                connection.close().whenComplete { _ in }
                return
            }
        }
    }
}
