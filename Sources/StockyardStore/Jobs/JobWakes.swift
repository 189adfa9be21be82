import Logging
import PostgresNIO
import Synchronization

/// Wakes the job runners after a commit that left its NOTIFY out (migration 0025, decisions D31), from the pool.
/// Wakes coalesce: while one is being sent, the kinds asked for meanwhile wait and go together in the next, so a
/// burst of commits costs a few notifications, and the committing request never waits for one. A wake that fails
/// is logged; the runners' poll finds the jobs all the same.
final class JobWakes: Sendable {
    private struct State {
        var kinds: Set<String> = []
        var sending = false
    }

    private let state = Mutex(State())

    func wake(_ kind: String, database: Database, logger: Logger) {
        let startsSending = state.withLock { state in
            state.kinds.insert(kind)
            defer { state.sending = true }
            return !state.sending
        }
        guard startsSending else { return }
        Task { await send(database: database, logger: logger) }
    }

    /// Sends what is waiting until nothing is.
    private func send(database: Database, logger: Logger) async {
        while true {
            let kinds = state.withLock { state in
                defer { state.kinds = [] }
                if state.kinds.isEmpty { state.sending = false }
                return Array(state.kinds).sorted()
            }
            guard !kinds.isEmpty else { return }
            do {
                try await database.withConnection { connection in
                    try await connection.run(WakeJobRunners(values: [kinds]), logger: logger)
                }
            } catch {
                logger.warning("could not wake the job runners; their poll will find the jobs",
                               metadata: ["kinds": "\(kinds)", "error": "\(String(reflecting: error))"])
            }
        }
    }

    struct WakeJobRunners: CachedStatement {
        static let sql = "SELECT stockyard.wake_job_runners($1::text[])"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }
}
