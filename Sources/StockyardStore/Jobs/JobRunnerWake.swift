import Logging
import PostgresNIO

/// Wakes the job runners once a statement that left its NOTIFY out has committed (migration 0025, decisions D31):
/// `stockyard.wake_job_runners`, a transaction of its own that NOTIFYs with an asynchronous commit. A wake that fails
/// is logged and not thrown, since what it follows has committed; the runners' poll finds the jobs all the same.
enum JobRunnerWake {
    static func send(_ kinds: [String], database: Database, logger: Logger) async {
        do {
            try await database.withConnection { try await $0.run(WakeJobRunners(values: [kinds]), logger: logger) }
        } catch {
            logger.warning("could not wake the job runners; their poll will find the jobs",
                           metadata: ["kinds": "\(kinds)", "error": "\(String(reflecting: error))"])
        }
    }

    struct WakeJobRunners: CachedStatement {
        static let sql = "SELECT stockyard.wake_job_runners($1::text[])"
        let values: [(any PostgresThrowingDynamicTypeEncodable & Sendable)?]
    }
}
