/// Where a sync job is in its life (the `sync_jobs.state` column).
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting to run at `run_at`.
    case pending
    /// Claimed by a runner, leased until `locked_until`.
    case running
    /// An attempt failed; it runs again at `run_at`.
    case failed
    case done
    /// Given up on: a permanent error, or the last attempt failed. Runs again only when an operator retries it.
    case dead
    /// Stopped by an operator before it ran.
    case cancelled

    /// States an operator may send back to pending.
    public var isRetryable: Bool { self == .dead || self == .failed || self == .cancelled }
    /// States an operator may cancel.
    public var isCancellable: Bool { self == .pending || self == .failed }
}
