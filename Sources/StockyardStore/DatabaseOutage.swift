import PostgresNIO

/// The one rule for "the database is away, not the request or the job at fault": the API answers it with 503 and
/// `Retry-After`, the job runner retries the attempt at once without counting it, and the pool never reuses the
/// connection it happened on.
public enum DatabaseOutage {
    public static func covers(_ error: any Error) -> Bool {
        if error is StatementDeadlineExceeded { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
            return true
        default:
            guard let state = error.sqlState else { return false }
            // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 starting up / shutting down, 57P04 database dropped;
            // class 08 connection exceptions; 53300 too many connections.
            return state.hasPrefix("57P") || state.hasPrefix("08") || state == "53300"
        }
    }
}
