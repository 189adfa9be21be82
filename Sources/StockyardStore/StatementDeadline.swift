import StockyardCore

/// How long a pooled lease (a transaction, a statement outside one) may take before the pool closes its connection
/// (decisions D35). Every statement runs inside a lease, so this is every statement's deadline too.
public enum StatementDeadline: Sendable {
    /// Requests, job steps, claims and acks: `STOCKYARD_DB_STATEMENT_DEADLINE_MS`.
    case standard
    /// Work that legitimately takes long (bulk imports, opening stock, a reconcile of a whole shop):
    /// `STOCKYARD_DB_LONG_STATEMENT_DEADLINE_SECONDS`.
    case long
}

/// The two deadlines of a pool.
public struct StatementDeadlines: Sendable, Equatable {
    public var standard: Duration
    public var long: Duration

    /// 10 s: a hundred times the slowest statement the benchmarks see; 10 min for the long ones.
    public init(standard: Duration = .seconds(10), long: Duration = .seconds(600)) {
        self.standard = standard
        self.long = long
    }

    /// `STOCKYARD_DB_STATEMENT_DEADLINE_MS` and `STOCKYARD_DB_LONG_STATEMENT_DEADLINE_SECONDS`.
    public init(_ config: StockyardConfig) {
        self.init(standard: .milliseconds(config.statementDeadlineMilliseconds), long: .seconds(config.longStatementDeadlineSeconds))
    }

    public subscript(_ deadline: StatementDeadline) -> Duration {
        switch deadline {
        case .standard: standard
        case .long: long
        }
    }
}

/// A lease ran past its deadline: the pool closed its connection (whatever the statement was waiting for, a
/// lock, a server that stopped answering, a reply that never came) and will open a new one. Nothing of an open
/// transaction was committed; a statement outside one may or may not have been. Retryable.
public struct StatementDeadlineExceeded: Error, CustomStringConvertible {
    public let deadline: Duration
    public init(deadline: Duration) { self.deadline = deadline }
    public var description: String { "the database did not answer within \(deadline); the connection was closed" }
}
