import Foundation
import StockyardCore

/// A sync job as the operators' API shows it.
public struct SyncJob: Sendable, Codable, Equatable {
    public let id: Int64
    public let kind: String
    public let dedupeKey: String?
    public let payload: JSONValue
    public let state: JobState
    public let priority: Int
    public let attempts: Int
    public let maxAttempts: Int
    public let runAt: Date
    public let lockedUntil: Date?
    public let lockedBy: String?
    public let lastError: String?
    public let lastErrorType: String?
    public let createdAt: Date
    public let startedAt: Date?
    public let finishedAt: Date?
}

/// A job a runner has claimed: what its handler gets.
public struct ClaimedJob: Sendable, Equatable {
    public let companyID: Int64
    public let id: Int64
    public let kind: String
    public let payload: JSONValue
    /// This attempt's number, from 1.
    public let attempt: Int
    public let maxAttempts: Int
    public let runAt: Date
    public let createdAt: Date

    public var key: JobKey { JobKey(companyID: companyID, id: id) }
}

/// Counts for `GET /v1/jobs/stats` and `reporting.sync_job_health`.
public struct JobStats: Sendable, Codable, Equatable {
    public struct Kind: Sendable, Codable, Equatable {
        public let kind: String
        public let pending: Int
        public let running: Int
        public let failed: Int
        public let dead: Int
        public let done: Int
        public let cancelled: Int
        /// Seconds the oldest due job has waited; nil when none waits.
        public let oldestDueSeconds: Double?
        /// Failed or dead attempts / finished-or-failed attempts, over the last hour; nil with no activity.
        public let failureRateLastHour: Double?
    }
    public let kinds: [Kind]
}

/// Filters for `GET /v1/jobs`.
public struct JobFilter: Sendable {
    public var state: JobState?
    public var kind: String?
    public init(state: JobState? = nil, kind: String? = nil) {
        self.state = state
        self.kind = kind
    }
}
