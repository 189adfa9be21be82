import Logging
import PostgresNIO

/// Wakes the job runners once a transaction that left its NOTIFY out has committed (migration 0025, decisions D31):
/// `stockyard.wake_job_runners`, in a transaction of its own that commits asynchronously. It is sent in the
/// background, so the caller's answer never waits behind another transaction's flush for the NOTIFY lock; the
/// commit it follows is done, so it cannot overtake it. A wake that fails is logged; the runners' poll finds the
/// jobs all the same.
enum JobRunnerWake {
    static func send(_ kinds: [String], database: Database, logger: Logger) {
        Task {
            do {
                // An explicit transaction (D32): a NOTIFY can fail at commit (a full queue), and that must not surface
                // on the connection's next user.
                try await database.withTransaction(logger: logger) { connection in
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
