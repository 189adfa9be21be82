/// Everything a Stockyard process is configured with, read from environment variables.
/// Every key has a default that works with `ops/pg` on this machine; `stockyard config --json` prints the result.
public struct StockyardConfig: Sendable, Equatable {
    /// `STOCKYARD_DATABASE_URL`: what `serve` and `worker` connect as (the `stockyard_app` role, subject to RLS).
    public var databaseURL: DatabaseURL
    /// `STOCKYARD_OWNER_DATABASE_URL`: the schema owner, for `migrate` and the admin commands.
    public var ownerDatabaseURL: DatabaseURL
    /// `STOCKYARD_DB_POOL_SIZE`: the API's connections (the job runner has a pool of its own, `STOCKYARD_JOB_POOL_SIZE`).
    public var databasePoolSize: Int
    /// `STOCKYARD_DB_STATEMENT_DEADLINE_MS`: how long any transaction or statement of either pool may take before its
    /// connection is closed and the call fails as retryable (503 in the API): 10 s, a hundred times the slowest
    /// statement the benchmarks see (decisions D35).
    public var statementDeadlineMilliseconds = 10_000
    /// `STOCKYARD_DB_LONG_STATEMENT_DEADLINE_SECONDS`: the same for the work that is long by nature: migrations, variant
    /// and location imports, opening stock and go-live.
    public var longStatementDeadlineSeconds = 600
    /// `STOCKYARD_HTTP_HOST` / `STOCKYARD_HTTP_PORT`.
    public var httpHost: String
    public var httpPort: Int
    /// `STOCKYARD_MAX_BODY_BYTES`: larger request bodies are refused with 413 before they are read in full.
    public var maxBodyBytes: Int
    /// `STOCKYARD_MIGRATIONS_DIR`: where `NNNN_name.sql` files are read from.
    public var migrationsDirectory: String
    /// `STOCKYARD_LOG_LEVEL`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String
    /// `STOCKYARD_LOG_FORMAT`: `text` or `json` (one JSON object per line).
    public var logFormat: LogFormat

    /// The job runner's settings (`STOCKYARD_JOB_*`).
    public var jobs = JobsConfig()
    /// `STOCKYARD_SECRET_KEY`: 32 random bytes in base64 (`openssl rand -base64 32`) that seal the shops' storefront
    /// credentials at rest. Without it, credentials cannot be stored (`ops/run` makes one in `.data/`).
    public var secretKey: String?

    public enum LogFormat: String, Sendable, Codable { case text, json }

    public struct JobsConfig: Sendable, Equatable {
        /// `STOCKYARD_JOB_CONCURRENCY`: jobs one runner process runs at once. Storefront jobs spend most of their time
        /// waiting for the storefront, and hold a database connection only for their short transactions, so this is
        /// well above the pool size (`ops/bench inventory`: 8 saturates near 100 changes/s, 64 keeps up with 200).
        public var concurrency = 32
        /// `STOCKYARD_JOB_POOL_SIZE`: the runner's own connections, apart from the API's (decisions D30). A job holds
        /// one only for its short transactions.
        public var poolSize = 8
        /// `STOCKYARD_JOB_CLAIM_BATCH`: jobs claimed per statement; claimed jobs beyond the concurrency wait, leased,
        /// in this runner. Larger batches cost fewer claims per job (ops/bench queue: 10 → 3.2k jobs/s, 25 → 4.9k).
        public var claimBatch = 25
        /// `STOCKYARD_JOB_POLL_MS`: the fallback poll, for notifications lost while LISTEN was down.
        public var pollMilliseconds = 2000
        /// `STOCKYARD_JOB_LEASE_SECONDS`: how long a claim lasts without renewal; a crashed runner's jobs rerun after it.
        public var leaseSeconds = 30
        /// `STOCKYARD_JOB_RETRY_BASE_MS` / `STOCKYARD_JOB_RETRY_CAP_SECONDS`: exponential backoff with jitter.
        public var retryBaseMilliseconds = 1000
        public var retryCapSeconds = 300
        /// `STOCKYARD_JOB_RETENTION_HOURS`: done jobs are kept at least this long (their history is dropped a whole UTC day at a time, so up to a day longer).
        public var retentionHours = 24
        /// `STOCKYARD_JOB_SHUTDOWN_SECONDS`: on SIGTERM, in-flight jobs get this long to finish before they are released.
        public var shutdownSeconds = 10
        /// `STOCKYARD_JOB_KINDS`: comma-separated kinds this process's runner claims (a dedicated worker); unset: all.
        public var kinds: [String]?
        /// `STOCKYARD_WORKER_METRICS_PORT`: where `stockyard worker` serves `/metrics` and `/health` (on
        /// `STOCKYARD_HTTP_HOST`; 0 picks a free port). `serve` exports the same metrics on its API port.
        public var workerMetricsPort = 8081

        public init() {}
    }

    public static let defaults = StockyardConfig(
        databaseURL: DatabaseURL(host: "127.0.0.1", port: 54329, username: "stockyard_app", password: "stockyard_app", database: "stockyard"),
        ownerDatabaseURL: DatabaseURL(host: "127.0.0.1", port: 54329, username: "stockyard_owner", password: "stockyard_owner", database: "stockyard"),
        databasePoolSize: 16,
        httpHost: "127.0.0.1",
        httpPort: 8080,
        maxBodyBytes: 1 << 20,
        migrationsDirectory: "migrations",
        logLevel: "info",
        logFormat: .text
    )

    public init(databaseURL: DatabaseURL, ownerDatabaseURL: DatabaseURL, databasePoolSize: Int, httpHost: String, httpPort: Int,
                maxBodyBytes: Int, migrationsDirectory: String, logLevel: String, logFormat: LogFormat) {
        self.databaseURL = databaseURL
        self.ownerDatabaseURL = ownerDatabaseURL
        self.databasePoolSize = databasePoolSize
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.maxBodyBytes = maxBodyBytes
        self.migrationsDirectory = migrationsDirectory
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    /// Reads the `STOCKYARD_*` keys; a key that is set but invalid is an error that names it, never a silent default.
    public init(environment: [String: String]) throws(ConfigError) {
        var config = Self.defaults
        func value(_ key: String) -> String? {
            guard let raw = environment[key]?.trimmingWhitespace(), !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let raw = value(key) else { return nil }
            guard let number = Int(raw), range.contains(number) else {
                throw .invalid(key: key, value: raw, reason: "expected an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        do {
            if let url = value("STOCKYARD_DATABASE_URL") { config.databaseURL = try DatabaseURL(parsing: url) }
        } catch { throw error.renamed("STOCKYARD_DATABASE_URL") }
        do {
            if let url = value("STOCKYARD_OWNER_DATABASE_URL") { config.ownerDatabaseURL = try DatabaseURL(parsing: url) }
        } catch { throw error.renamed("STOCKYARD_OWNER_DATABASE_URL") }
        config.databasePoolSize = try integer("STOCKYARD_DB_POOL_SIZE", in: 1...1000) ?? config.databasePoolSize
        config.statementDeadlineMilliseconds = try integer("STOCKYARD_DB_STATEMENT_DEADLINE_MS", in: 100...3_600_000)
            ?? config.statementDeadlineMilliseconds
        config.longStatementDeadlineSeconds = try integer("STOCKYARD_DB_LONG_STATEMENT_DEADLINE_SECONDS", in: 1...86_400)
            ?? config.longStatementDeadlineSeconds
        config.httpHost = value("STOCKYARD_HTTP_HOST") ?? config.httpHost
        config.httpPort = try integer("STOCKYARD_HTTP_PORT", in: 0...65535) ?? config.httpPort
        config.maxBodyBytes = try integer("STOCKYARD_MAX_BODY_BYTES", in: 1...(1 << 30)) ?? config.maxBodyBytes
        config.migrationsDirectory = value("STOCKYARD_MIGRATIONS_DIR") ?? config.migrationsDirectory
        if let level = value("STOCKYARD_LOG_LEVEL") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level.lowercased()) else {
                throw .invalid(key: "STOCKYARD_LOG_LEVEL", value: level, reason: "expected one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = level.lowercased()
        }
        if let format = value("STOCKYARD_LOG_FORMAT") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw .invalid(key: "STOCKYARD_LOG_FORMAT", value: format, reason: "expected text or json")
            }
            config.logFormat = parsed
        }
        config.jobs.concurrency = try integer("STOCKYARD_JOB_CONCURRENCY", in: 1...256) ?? config.jobs.concurrency
        config.jobs.poolSize = try integer("STOCKYARD_JOB_POOL_SIZE", in: 1...1000) ?? config.jobs.poolSize
        config.jobs.claimBatch = try integer("STOCKYARD_JOB_CLAIM_BATCH", in: 1...1000) ?? config.jobs.claimBatch
        config.jobs.pollMilliseconds = try integer("STOCKYARD_JOB_POLL_MS", in: 10...600_000) ?? config.jobs.pollMilliseconds
        config.jobs.leaseSeconds = try integer("STOCKYARD_JOB_LEASE_SECONDS", in: 1...86_400) ?? config.jobs.leaseSeconds
        config.jobs.retryBaseMilliseconds = try integer("STOCKYARD_JOB_RETRY_BASE_MS", in: 1...3_600_000) ?? config.jobs.retryBaseMilliseconds
        config.jobs.retryCapSeconds = try integer("STOCKYARD_JOB_RETRY_CAP_SECONDS", in: 1...604_800) ?? config.jobs.retryCapSeconds
        config.jobs.retentionHours = try integer("STOCKYARD_JOB_RETENTION_HOURS", in: 0...87_600) ?? config.jobs.retentionHours
        config.jobs.shutdownSeconds = try integer("STOCKYARD_JOB_SHUTDOWN_SECONDS", in: 0...3_600) ?? config.jobs.shutdownSeconds
        config.jobs.workerMetricsPort = try integer("STOCKYARD_WORKER_METRICS_PORT", in: 0...65535) ?? config.jobs.workerMetricsPort
        if let key = value("STOCKYARD_SECRET_KEY") {
            guard (try? SecretBox(base64Key: key)) != nil else {
                throw .invalid(key: "STOCKYARD_SECRET_KEY", value: "(hidden)", reason: "expected 32 bytes in base64")
            }
            config.secretKey = key
        }
        if let kinds = value("STOCKYARD_JOB_KINDS") {
            let list = kinds.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
            guard !list.isEmpty else { throw .invalid(key: "STOCKYARD_JOB_KINDS", value: kinds, reason: "expected comma-separated job kinds") }
            config.jobs.kinds = list
        }
        self = config
    }

    /// The effective configuration as key → value, passwords redacted.
    public var redacted: [String: String] {
        [
            "STOCKYARD_DATABASE_URL": databaseURL.description,
            "STOCKYARD_OWNER_DATABASE_URL": ownerDatabaseURL.description,
            "STOCKYARD_DB_POOL_SIZE": String(databasePoolSize),
            "STOCKYARD_DB_STATEMENT_DEADLINE_MS": String(statementDeadlineMilliseconds),
            "STOCKYARD_DB_LONG_STATEMENT_DEADLINE_SECONDS": String(longStatementDeadlineSeconds),
            "STOCKYARD_HTTP_HOST": httpHost,
            "STOCKYARD_HTTP_PORT": String(httpPort),
            "STOCKYARD_MAX_BODY_BYTES": String(maxBodyBytes),
            "STOCKYARD_MIGRATIONS_DIR": migrationsDirectory,
            "STOCKYARD_LOG_LEVEL": logLevel,
            "STOCKYARD_LOG_FORMAT": logFormat.rawValue,
            "STOCKYARD_JOB_CONCURRENCY": String(jobs.concurrency),
            "STOCKYARD_JOB_POOL_SIZE": String(jobs.poolSize),
            "STOCKYARD_JOB_CLAIM_BATCH": String(jobs.claimBatch),
            "STOCKYARD_JOB_POLL_MS": String(jobs.pollMilliseconds),
            "STOCKYARD_JOB_LEASE_SECONDS": String(jobs.leaseSeconds),
            "STOCKYARD_JOB_RETRY_BASE_MS": String(jobs.retryBaseMilliseconds),
            "STOCKYARD_JOB_RETRY_CAP_SECONDS": String(jobs.retryCapSeconds),
            "STOCKYARD_JOB_RETENTION_HOURS": String(jobs.retentionHours),
            "STOCKYARD_JOB_SHUTDOWN_SECONDS": String(jobs.shutdownSeconds),
            "STOCKYARD_JOB_KINDS": jobs.kinds?.joined(separator: ",") ?? "(all)",
            "STOCKYARD_WORKER_METRICS_PORT": String(jobs.workerMetricsPort),
            "STOCKYARD_SECRET_KEY": secretKey == nil ? "(unset)" : "(set)",
        ]
    }
}

public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case invalid(key: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let key, let value, let reason): "\(key)=\(value) is invalid: \(reason)"
        }
    }

    func renamed(_ key: String) -> ConfigError {
        switch self {
        case .invalid(_, let value, let reason): .invalid(key: key, value: value, reason: reason)
        }
    }
}
